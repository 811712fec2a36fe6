"""Simulated web-chat customers for demos: real websocket clients on /ws/customer that
open new conversations at a realistic pace, in Russian, Ukrainian and English.

    sim = CustomerSimulator(hub.ws_url, mean_interval=20.0, seed=1)
    sim.start_in_thread()        # or: await sim.run(stop_event) on any loop
    ...
    sim.stop()
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import random
import threading
import uuid
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from app.protocol import PROTOCOL_VERSION, ProtocolError, decode, encode
from app.protocol.messages import (
    CustomerHello,
    CustomerOutbound,
    CustomerSend,
    CustomerWelcome,
    Error,
    Result,
)

log = logging.getLogger("frontline.simulator")
ws_log = logging.getLogger("frontline.simulator.ws")
ws_log.setLevel(logging.INFO)  # frame dumps at DEBUG would include visitor tokens

NAMES = {
    "ru": [
        "Андрей Соколов",
        "Екатерина Попова",
        "Михаил Лебедев",
        "Анна Новикова",
        "Павел Морозов",
        "Юлия Васильева",
        "Николай Зайцев",
        "Елена Павлова",
    ],
    "uk": [
        "Олександр Бойко",
        "Марія Ткаченко",
        "Богдан Кравчук",
        "Софія Олійник",
        "Іван Лисенко",
        "Христина Савчук",
        "Юрій Руденко",
        "Ганна Мороз",
    ],
    "en": [
        "Oliver Smith",
        "Chloe Wilson",
        "Daniel Evans",
        "Grace Taylor",
        "Liam Walker",
        "Mia Robinson",
        "Noah Wright",
        "Ella Hughes",
    ],
}

# (first message, possible follow-ups)
TOPICS = {
    "ru": [
        (
            "Здравствуйте! Как подать заявление на выплату по страховке квартиры? Вчера прорвало трубу.",
            ["Фото повреждений уже сделала.", "Полис оформлен в «Папайя Страхование» в прошлом году."],
        ),
        (
            "Добрый день, заказ в «Торбе» не приехал в обещанный срок. Номер заказа {order}.",
            ["Можно ли узнать, где сейчас посылка?", "Мне нужно получить его до пятницы."],
        ),
        (
            "Не могу войти в личный кабинет: пишет, что пароль неверный.",
            ["Письмо для сброса не приходит.", "Пробовал уже три раза."],
        ),
        (
            "Подскажите, до какого числа ФОП 2 группы должен подать декларацию в «Балансе»?",
            ["И можно ли подписать её ключом КЭП из Дії?"],
        ),
        (
            "Хочу вернуть кроссовки, не подошёл размер. Как оформить возврат?",
            ["Покупал {days} дней назад.", "Коробка и бирки сохранились."],
        ),
        ("С карты дважды списали оплату за подписку «Баланс». Верните, пожалуйста, лишнее.", []),
    ],
    "uk": [
        (
            "Доброго дня! Як отримати виплату за страховим випадком? Сусіди затопили квартиру.",
            ["Акт від ОСББ уже маю.", "Поліс «Папая Страхування», оформлений онлайн."],
        ),
        (
            "Вітаю, замовлення {order} у «Торбі» досі не відправили. Коли чекати?",
            ["Оплата пройшла одразу.", "Можна змінити адресу доставки на відділення?"],
        ),
        ("Не приходить SMS з кодом для входу. Що робити?", ["Номер телефону не змінювала."]),
        ("Як підключити ключ КЕП до «Балансу» для подання звітності?", ["Ключ отримав у Приватбанку."]),
        (
            "Отримав пошкоджений товар: тріснув корпус павербанка.",
            ["Фото можу надіслати.", "Хочу заміну, а не повернення грошей."],
        ),
        ("Чи можна скасувати поліс страхування подорожі, якщо поїздка не відбудеться?", []),
    ],
    "en": [
        (
            "Hi, how do I file a claim on my Papaya home insurance? A pipe burst last night.",
            ["I've already taken photos.", "The policy number is PH-{order}."],
        ),
        (
            "Hello, my Torba order {order} still shows 'processing' after four days.",
            ["Can you check what's going on?", "I need it before the weekend."],
        ),
        (
            "I can't log in, it says my password is wrong and the reset email never arrives.",
            ["I checked the spam folder too."],
        ),
        ("Can I use the promo code SPRING15 together with free delivery?", []),
        (
            "I was charged twice for my Balans subscription. Could you refund one payment?",
            ["It happened on the 3rd of this month."],
        ),
        ("How long does a refund take after I return an item?", ["I sent it back {days} days ago."]),
    ],
}


@dataclass
class SimulatorStats:
    conversations: int = 0
    messages: int = 0
    replies_received: int = 0
    failures: int = 0


class CustomerSimulator:
    """Opens a new simulated web-chat conversation every ``mean_interval`` seconds on
    average (exponential gaps; the first one after 1–2 s). Each customer says hello,
    writes a first message and sometimes a follow-up, then stays connected for up to
    ``linger`` seconds reading the replies. Deterministic for a given ``seed``."""

    def __init__(
        self,
        ws_url: str,
        *,
        mean_interval: float = 20.0,
        seed: int | None = None,
        first_delay: tuple[float, float] = (1.0, 2.0),
        follow_up_delay: tuple[float, float] = (4.0, 12.0),
        linger: float = 600.0,
        max_conversations: int | None = None,
        locales: tuple[str, ...] = ("ru", "uk", "en"),
    ) -> None:
        base = ws_url.rstrip("/")
        self.url = base if base.endswith("/ws/customer") else base + "/ws/customer"
        self.mean_interval = mean_interval
        self.rng = random.Random(seed)
        self.first_delay = first_delay
        self.follow_up_delay = follow_up_delay
        self.linger = linger
        self.max_conversations = max_conversations
        self.locales = locales
        self.stats = SimulatorStats()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._future: concurrent.futures.Future[None] | None = None

    # ------------------------------------------------------------------ script

    def plan(self) -> tuple[str, str, str, list[str]]:
        """The next customer: (locale, name, first message, follow-ups to send)."""
        locale = self.rng.choice(self.locales)
        name = self.rng.choice(NAMES[locale])
        first, follow_ups = self.rng.choice(TOPICS[locale])
        fill = {"order": str(self.rng.randint(60000, 69999)), "days": str(self.rng.randint(2, 12))}
        chosen = [f.format(**fill) for f in follow_ups if self.rng.random() < 0.5]
        return locale, name, first.format(**fill), chosen[:1]

    async def run(self, stop_event: asyncio.Event) -> None:
        """Open conversations until ``stop_event`` is set (or ``max_conversations``)."""
        tasks: set[asyncio.Task[None]] = set()
        delay = self.rng.uniform(*self.first_delay)
        try:
            while not stop_event.is_set():
                if await _wait(stop_event, delay):
                    break
                plan = self.plan()
                delays = [self.rng.uniform(*self.follow_up_delay) for _ in plan[3]]
                task = asyncio.create_task(self._customer(stop_event, plan, delays))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                self.stats.conversations += 1
                if self.max_conversations is not None and self.stats.conversations >= self.max_conversations:
                    await stop_event.wait()
                    break
                delay = self.rng.expovariate(1.0 / self.mean_interval) if self.mean_interval > 0 else 0.0
        finally:
            for task in list(tasks):
                task.cancel()
            for task in list(tasks):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _customer(
        self, stop: asyncio.Event, plan: tuple[str, str, str, list[str]], delays: list[float]
    ) -> None:
        locale, name, first, follow_ups = plan
        try:
            async with connect(self.url, open_timeout=10, logger=ws_log) as ws:
                await ws.send(encode(CustomerHello(protocol=PROTOCOL_VERSION, name=name, locale=locale)))
                welcome = decode(await ws.recv(), CustomerOutbound)
                if not isinstance(welcome, CustomerWelcome):
                    raise RuntimeError(f"unexpected answer to hello: {type(welcome).__name__}")
                reader = asyncio.create_task(self._read(ws))
                try:
                    await ws.send(encode(CustomerSend(txn_id=str(uuid.uuid4()), text=first)))
                    self.stats.messages += 1
                    for text, delay in zip(follow_ups, delays, strict=True):
                        if await _wait(stop, delay):
                            return
                        await ws.send(encode(CustomerSend(txn_id=str(uuid.uuid4()), text=text)))
                        self.stats.messages += 1
                    await _wait(stop, self.linger)
                finally:
                    reader.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reader
        except (OSError, WebSocketException, ProtocolError, RuntimeError, TimeoutError) as exc:
            self.stats.failures += 1
            log.warning("simulated customer %s failed: %s", name, exc)

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            try:
                frame = decode(raw, CustomerOutbound)
            except ProtocolError:
                continue
            if isinstance(frame, Error):
                log.warning("hub refused a simulated message: %s", frame.code)
            elif not isinstance(frame, Result):
                self.stats.replies_received += 1

    # ------------------------------------------------------------------ threads

    def start_in_thread(self) -> None:
        """Run on an own event loop in a daemon thread (until :meth:`stop`)."""
        if self._thread is not None:
            raise RuntimeError("already running")
        ready = threading.Event()

        def main() -> None:
            async def body() -> None:
                self._loop = asyncio.get_running_loop()
                self._stop = asyncio.Event()
                ready.set()
                await self.run(self._stop)

            asyncio.run(body())

        self._thread = threading.Thread(target=main, name="frontline-simulator", daemon=True)
        self._thread.start()
        ready.wait(10)

    def start_on_loop(self, loop: asyncio.AbstractEventLoop) -> concurrent.futures.Future[None]:
        """Run on a loop owned by another thread (e.g. ``EmbeddedHub.loop``)."""

        self._loop = loop
        stop = self._stop = asyncio.Event()  # binds to ``loop`` when first awaited there

        async def body() -> None:
            await self.run(stop)

        self._future = asyncio.run_coroutine_threadsafe(body(), loop)
        return self._future

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._future is not None:
            with contextlib.suppress(concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                self._future.result(timeout)
            self._future = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` unless ``stop`` is set first; True if stopped."""
    if seconds <= 0:
        return stop.is_set()
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
