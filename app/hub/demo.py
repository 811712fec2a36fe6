"""Demo data: operators and customers with realistic past conversations.

All demo accounts have the password ``demo`` (:data:`DEMO_PASSWORD`); never seed them
on a real hub. Seeding is idempotent: a second run adds nothing that already exists.
The brands are fictional (see resources/demo/kb): Papaya Insurance («Папайя
Страхование» / «Папая Страхування»), the accounting service Balans («Баланс») and the
online shop Torba («Торба»); the hotline is 0 800 30 40 50.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import update

from app.hub.accounts import hash_password
from app.protocol.messages import CustomerChanges, TemplateDraft
from app.storage import Store, make_engine, upgrade
from app.storage.files import FileStore, default_files_dir
from app.storage.models import Conversation, Customer, CustomerIdentity, Message
from app.storage.repo import utcnow

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo password

# username, display name, role
DEMO_OPERATORS: tuple[tuple[str, str, str], ...] = (
    ("olena", "Olena Koval", "operator"),
    ("taras", "Taras Melnyk", "operator"),
    ("dmytro", "Dmytro Shevchenko", "operator"),
    ("maria", "Maria Bondarenko", "supervisor"),
)


# name, kind, strategy, members, business hours ({} = always open)
DEMO_QUEUES: tuple[tuple[str, str, str, tuple[str, ...], dict[str, list[str]]], ...] = (
    ("first line", "first", "round_robin", ("olena", "taras", "dmytro"), {}),
    ("billing", "second", "least_loaded", ("dmytro", "maria"), {}),
    ("legal", "second", "manual", ("maria",), {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}),
    ("technical", "second", "round_robin", ("taras", "olena"), {}),
)
DEMO_VIP = ("Anna Schmidt",)
# internal notes (operators only) in some demo conversations
DEMO_NOTES = {
    "Michael Brown": "Courier says it was left at the door. Ask for a photo before we refund.",
}


# notes written on the card (the timeline's "Add note"): customer name -> (operator, text)
DEMO_CARD_NOTES = {
    "Michael Brown": [
        ("maria", "Regular customer since 2023. Offer the Saturday delivery slot first."),
    ],
}


# a photo a demo customer sent (text, file name): what the note above asks for
DEMO_PHOTOS = {
    "Michael Brown": ("Here is the box as it was left at the door.", "parcel.png"),
}


DEMO_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# team answer templates (typed as /shortcode in the composer), made by the supervisor
DEMO_TEMPLATES: tuple[TemplateDraft, ...] = (
    TemplateDraft(
        shortcode="hello", title="Greeting", category="General", language="en", scope="team",
        body="Hello {customer.name}! My name is {operator.name}, how can I help you?",
    ),
    TemplateDraft(
        shortcode="refund", title="Refund: when the money arrives", category="Payments", language="en",
        scope="team",
        body="Dear {customer.name}, your refund for policy {?Policy number} has been approved. The money "
        "reaches your card within 5 working days. Your request number is {conversation.id}.",
    ),
    TemplateDraft(
        shortcode="privet", title="Приветствие", category="General", language="ru", scope="team",
        body="Здравствуйте, {customer.name}! Меня зовут {operator.name}, чем могу помочь?",
    ),
    TemplateDraft(
        shortcode="vozvrat", title="Возврат денег за полис", category="Payments", language="ru", scope="team",
        body="{customer.name}, возврат по полису {?Номер полиса} одобрен. Деньги поступят на карту в течение "
        "5 рабочих дней. Номер обращения: {conversation.id}.",
    ),
    TemplateDraft(
        shortcode="vitannia", title="Привітання", category="General", language="uk", scope="team",
        body="Добрий день, {customer.name}! Мене звати {operator.name}, чим можу допомогти?",
    ),
    TemplateDraft(
        shortcode="povernennia", title="Повернення коштів за поліс", category="Payments", language="uk",
        scope="team",
        body="{customer.name}, повернення за полісом {?Номер поліса} схвалено. Кошти надійдуть на картку "
        "протягом 5 робочих днів. Номер звернення: {conversation.id}.",
    ),
    TemplateDraft(
        shortcode="callback", title="We will call you back", category="Calls", language="en", scope="team",
        body="We will call you back at {customer.phone} within an hour. Thank you for waiting!",
    ),
)


# custom fields of the demo hub's cards (key, label, type), as an admin adds them
DEMO_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("policy_no", "Policy number", "text"),
    ("customer_since", "Customer since", "date"),
)
# what the team already knows about some demo customers (the card); phones are written
# as operators type them and stored normalised (E.164)
DEMO_CARDS: dict[str, CustomerChanges] = {
    "Michael Brown": CustomerChanges(
        first_name="Michael",
        last_name="Brown",
        add_phones=["+44 20 7946 0321"],
        add_emails=["m.brown@example.com"],
        add_tags=["Torba", "repeat delivery issue"],
        notes="Prefers e-mail over calls. Works from home on Fridays: deliveries then.",
        fields={"customer_since": "14.03.2021"},
    ),
    # the same landline as Michael Brown (one household): the card proposes a merge
    "Sarah Mitchell": CustomerChanges(
        add_phones=["+44 20 7946 0321"],
        add_emails=["sarah.mitchell@example.com"],
    ),
    "Тетяна Литвин": CustomerChanges(
        first_name="Тетяна",
        last_name="Литвин",
        add_phones=["067 123 45 67"],
        add_emails=["t.lytvyn@example.ua"],
        add_tags=["Papaya", "new policy"],
        fields={"policy_no": "PA-2291-4471", "customer_since": "2023-09-01"},
    ),
    "Anna Schmidt": CustomerChanges(
        first_name="Anna",
        last_name="Schmidt",
        add_phones=["+49 151 23456789"],
        add_emails=["anna.schmidt@example.de"],
        add_tags=["Papaya", "home insurance"],
        notes="Pays her home policy yearly; asked about instalments before.",
        fields={"policy_no": "PX-778-1020", "customer_since": "2019-04-01"},
    ),
    "Сергей Иванов": CustomerChanges(
        add_phones=["8 (912) 345-67-89"],
        add_emails=["s.ivanov@example.com"],
        add_tags=["Balans"],
    ),
    "Ірина Коваленко": CustomerChanges(
        add_phones=["050 123 45 67"],
        add_tags=["Papaya", "claim"],
        fields={"policy_no": "PA-1877-0032"},
    ),
}


@dataclass(frozen=True)
class DemoAccounts:
    password: str
    operators: tuple[tuple[str, str, str], ...]  # (username, display name, role)
    operators_created: int
    conversations_created: int

    @property
    def usernames(self) -> list[str]:
        return [u for u, _, _ in self.operators]


@dataclass(frozen=True)
class _Chat:
    name: str
    locale: str
    status: str  # resolved | open | queued
    assignee: str | None
    age: timedelta  # how long ago the first message was written
    lines: tuple[tuple[str, str], ...]  # ("c" customer / "o" operator, text)


def _days(n: float) -> timedelta:
    return timedelta(days=n)


def _mins(n: float) -> timedelta:
    return timedelta(minutes=n)


CHATS: tuple[_Chat, ...] = (
    _Chat(
        "Ірина Коваленко",
        "uk",
        "resolved",
        "olena",
        _days(6),
        (
            (
                "c",
                "Добрий день! Вчора нас затопили сусіди зверху, маю поліс «Папая Страхування» "
                "на квартиру. Що робити?",
            ),
            (
                "o",
                "Добрий день, Ірино! Співчуваю. Сфотографуйте пошкодження, отримайте акт від ОСББ і подайте "
                "заяву в особистому кабінеті: Поліси → Страховий випадок.",
            ),
            ("c", "Акт уже є. Скільки часу розглядається заява?"),
            (
                "o",
                "Зазвичай до 10 робочих днів після отримання всіх документів. Статус видно в кабінеті, "
                "а ще ми надішлемо SMS.",
            ),
            ("c", "Дякую, все зрозуміло!"),
        ),
    ),
    _Chat(
        "Алексей Смирнов",
        "ru",
        "resolved",
        "taras",
        _days(5.5),
        (
            (
                "c",
                "Здравствуйте. Я ФОП 3 группы в «Балансе». "
                "До какого числа нужно подать декларацию за квартал?",
            ),
            (
                "o",
                "Здравствуйте, Алексей! Декларацию подают в течение 40 календарных дней после окончания "
                "квартала. Черновик появится в разделе Отчёты → Декларации, его можно подписать КЭП и "
                "отправить прямо оттуда.",
            ),
            ("c", "А если ключ КЭП просрочен?"),
            (
                "o",
                "Новый ключ можно бесплатно получить в АЦСК, затем загрузить его "
                "в Настройки → Электронная подпись.",
            ),
            ("c", "Спасибо, разобрался."),
        ),
    ),
    _Chat(
        "Emily Carter",
        "en",
        "resolved",
        "dmytro",
        _days(4.8),
        (
            (
                "c",
                "Hi, I ordered a backpack from Torba last Monday (order 58213) and the tracking hasn't "
                "changed for three days.",
            ),
            (
                "o",
                "Hi Emily! Order 58213 is at the sorting centre in Lviv; there was a delay after the "
                "holidays. It should move today.",
            ),
            ("c", "Great, thanks. Can I change the delivery address to my office?"),
            (
                "o",
                "Done: I've switched it to the office address in your profile. You'll get a new SMS with "
                "the pickup code.",
            ),
            ("c", "Perfect, thank you!"),
        ),
    ),
    _Chat(
        "Наталія Мельник",
        "uk",
        "resolved",
        "olena",
        _days(4.2),
        (
            ("c", "Не можу увійти в кабінет, пише «невірний пароль», хоча я впевнена, що він правильний."),
            (
                "o",
                "Спробуйте відновити пароль: на сторінці входу натисніть «Забули пароль?» і введіть свою "
                "пошту. Лист приходить протягом 5 хвилин, перевірте також «Спам».",
            ),
            ("c", "Лист прийшов, пароль змінила, все працює. Дякую!"),
        ),
    ),
    _Chat(
        "Дмитрий Волков",
        "ru",
        "resolved",
        "taras",
        _days(3.5),
        (
            (
                "c",
                "Добрый день. Подал заявление о краже велосипеда три недели назад, «Папайя Страхование» "
                "до сих пор не выплатила. Номер дела 2024-1187.",
            ),
            (
                "o",
                "Здравствуйте, Дмитрий. По делу 2024-1187 не хватает справки из полиции. Как только "
                "загрузите её в кабинет, выплата придёт в течение 5 рабочих дней.",
            ),
            ("c", "Справку получу завтра. Куда именно загружать?"),
            ("o", "Кабинет → Мои дела → 2024-1187 → Добавить документ. Подойдёт чёткое фото."),
            ("c", "Понял, спасибо."),
        ),
    ),
    _Chat(
        "James O'Neill",
        "en",
        "resolved",
        "olena",
        _days(3.1),
        (
            ("c", "Hello, I was charged twice for my Balans subscription this month."),
            (
                "o",
                "Hello James, sorry about that. I see two payments of 299 UAH on the 3rd; the second one "
                "was a duplicate. I've started the refund, it takes 3–5 banking days.",
            ),
            ("c", "Thanks for sorting it so quickly."),
        ),
    ),
    _Chat(
        "Оксана Бондар",
        "uk",
        "resolved",
        "dmytro",
        _days(2.6),
        (
            ("c", "Отримала замовлення в «Торбі», а чашка з набору розбита. Що робити?"),
            (
                "o",
                "Вибачте за таку прикрість! Надішліть, будь ласка, фото пошкодження і коробки. Замінимо "
                "набір безкоштовно або повернемо гроші — як вам зручніше?",
            ),
            ("c", "Краще заміна. Фото надіслала на пошту."),
            ("o", "Дякую, фото бачу. Новий набір відправили, ТТН прийде в SMS. Розбитий повертати не треба."),
        ),
    ),
    _Chat(
        "Марина Кузнецова",
        "ru",
        "resolved",
        "olena",
        _days(2.2),
        (
            ("c", "Сменила номер телефона, теперь не приходят коды двухфакторной аутентификации. Как быть?"),
            (
                "o",
                "Здравствуйте, Марина! Для смены номера нужна проверка личности: отправьте фото паспорта "
                "через Помощь → Смена телефона. Проверка занимает до одного рабочего дня.",
            ),
            ("c", "Отправила."),
            ("o", "Проверка пройдена, новый номер привязан. Можете входить."),
        ),
    ),
    _Chat(
        "Peter Novak",
        "en",
        "resolved",
        "taras",
        _days(2.0),
        (
            ("c", "I'd like to cancel my Papaya travel insurance, my trip was cancelled. Do I get a refund?"),
            (
                "o",
                "Hi Peter! If the policy hasn't started yet, you get a full refund. Cancel it in Policies → "
                "Cancel policy; the money is back on your card within 7 days.",
            ),
            ("c", "Done. Thanks!"),
        ),
    ),
    _Chat(
        "Андрій Шевчук",
        "uk",
        "resolved",
        "dmytro",
        _days(1.4),
        (
            ("c", "Як підключити банк до «Балансу», щоб виписки підтягувались автоматично?"),
            (
                "o",
                "Вітаю, Андрію! Налаштування → Банки → Додати банк, оберіть свій банк і підтвердіть доступ "
                "у його застосунку. Виписки оновлюються щогодини.",
            ),
            ("c", "Підключив, виписки вже є. Дякую!"),
        ),
    ),
    _Chat(
        "Светлана Орлова",
        "ru",
        "resolved",
        "taras",
        _days(1.2),
        (
            ("c", "Промокод TORBA10 не применяется к корзине, пишет «недействителен»."),
            (
                "o",
                "Здравствуйте! Этот код действует на заказы от 1000 грн, а в корзине сейчас 870 грн. "
                "Добавьте что-нибудь, и скидка применится.",
            ),
            ("c", "Ага, теперь сработало. Спасибо!"),
        ),
    ),
    _Chat(
        "Sarah Mitchell",
        "en",
        "resolved",
        "olena",
        _days(1.0),
        (
            ("c", "How do I delete my account and all my data?"),
            (
                "o",
                "Hi Sarah, go to Profile → Privacy → Delete account. We keep only what the law requires "
                "for accounting. Anything else I can help with?",
            ),
            ("c", "No, that's all. Thanks."),
        ),
    ),
    _Chat(
        "Віктор Гнатюк",
        "uk",
        "resolved",
        "olena",
        _days(8),
        (
            ("c", "Добрий вечір. У нас була пожежа на балконі, постраждали вікна. Чи покриває це поліс?"),
            (
                "o",
                "Добрий вечір, Вікторе! Так, пожежа входить у базове покриття. Потрібні довідка ДСНС, фото "
                "і кошторис ремонту. Подати все можна в кабінеті або за номером 0 800 30 40 50.",
            ),
            ("c", "Дякую, завтра подам."),
        ),
    ),
    _Chat(
        "Игорь Павленко",
        "ru",
        "resolved",
        "dmytro",
        _days(7),
        (
            ("c", "Как выставить счёт клиенту в «Балансе» в долларах?"),
            (
                "o",
                "Здравствуйте, Игорь! Документы → Счета → Новый счёт, в поле «Валюта» выберите USD. "
                "Курс НБУ подставится на дату счёта.",
            ),
            ("c", "Отлично, получилось."),
        ),
    ),
    _Chat(
        "Тетяна Литвин",
        "uk",
        "open",
        "olena",
        _mins(25),
        (
            (
                "c",
                "Доброго дня! Хочу оформити страховку квартири, але не розумію різницю між тарифами "
                "«Базовий» і «Оптимальний».",
            ),
            (
                "o",
                "Доброго дня, Тетяно! «Оптимальний» додатково покриває крадіжку і пошкодження техніки, "
                "а ліміт вищий: 500 000 грн замість 200 000 грн.",
            ),
            ("c", "А скільки коштує «Оптимальний» для квартири 60 м² у Києві?"),
        ),
    ),
    _Chat(
        "Michael Brown",
        "en",
        "open",
        "olena",
        _mins(12),
        (("c", "Hi! My Torba order 60417 was marked as delivered but I never got it."),),
    ),
    _Chat(
        "Сергей Иванов",
        "ru",
        "open",
        "taras",
        _mins(40),
        (
            ("c", "Не приходит письмо для сброса пароля."),
            (
                "o",
                "Здравствуйте, Сергей! Проверьте, пожалуйста, папку «Спам». Если письма нет, напишите, "
                "на какой адрес зарегистрирован аккаунт.",
            ),
            ("c", "В спаме тоже нет. Адрес s.ivanov@example.com"),
        ),
    ),
    _Chat(
        "Людмила Козак",
        "uk",
        "queued",
        None,
        _mins(6),
        (("c", "Добрий день, подала декларацію в «Балансі», а статус «Не прийнято». Що це означає?"),),
    ),
    _Chat(
        "Anna Schmidt",
        "en",
        "queued",
        None,
        _mins(4),
        (("c", "Hello, can I pay for my Papaya home insurance policy in instalments?"),),
    ),
    _Chat(
        "Ольга Морозова",
        "ru",
        "queued",
        None,
        _mins(2),
        (
            ("c", "Здравствуйте! Хочу вернуть куртку, не подошёл размер. Заказ 61120, получила вчера."),
            ("c", "Бирки на месте, упаковка тоже."),
        ),
    ),
)


# earlier conversations of returning demo customers (by name): each card's timeline has more than one
PAST_CHATS: tuple[_Chat, ...] = (
    _Chat(
        "Michael Brown",
        "en",
        "resolved",
        "dmytro",
        _days(9),
        (
            ("c", "Hi, my Torba order 59870 says 'delivered' but the parcel was left with a neighbour I don't know."),
            (
                "o",
                "Hi Michael, sorry about that. The courier noted flat 12; I've asked them to collect it and "
                "bring it to you tomorrow between 10 and 14.",
            ),
            ("c", "Got it this morning, thanks."),
        ),
    ),
    _Chat(
        "Тетяна Литвин",
        "uk",
        "resolved",
        "olena",
        _days(21),
        (
            ("c", "Доброго дня! Чи можна змінити дату початку дії поліса автоцивілки?"),
            (
                "o",
                "Доброго дня, Тетяно! Так, до початку дії: Поліси → Змінити дату. Після початку — лише "
                "переоформлення.",
            ),
            ("c", "Дякую, змінила."),
        ),
    ),
    _Chat(
        "Anna Schmidt",
        "en",
        "resolved",
        "taras",
        _days(40),
        (
            ("c", "Hello, please send me the certificate for my Papaya home insurance for my landlord."),
            ("o", "Hello Anna! I've e-mailed it to you just now as a PDF; it is also under Policies → Documents."),
            ("c", "Received, thank you!"),
        ),
    ),
)


def _identity(index: int) -> str:
    return hashlib.sha256(f"frontline-demo-customer-{index}".encode()).hexdigest()


def _past_identity(index: int) -> str:
    return hashlib.sha256(f"frontline-demo-past-{index}".encode()).hexdigest()


def seed_demo(db_url: str) -> DemoAccounts:
    """Create the demo operators and customers in ``db_url`` (migrating it first)."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        store = Store(engine)
        store.epoch()
        ids: dict[str, int] = {}
        made_ops = 0
        password_hash: str | None = None
        for username, display_name, role in DEMO_OPERATORS:
            existing = store.operator_by_username(username)
            if existing is None:
                password_hash = password_hash or hash_password(DEMO_PASSWORD)
                existing = store.create_operator(username, password_hash, role, display_name)
                made_ops += 1
            ids[username] = existing.id
        made_chats = 0
        now = utcnow()
        _seed_fields(store)
        customers: dict[str, int] = {}  # name -> customer id, of the chats made in this run
        for index, chat in enumerate(CHATS):
            key = _identity(index)
            if store.has_identity("web", key):
                continue
            assignee = ids.get(chat.assignee) if chat.assignee else None
            conv_id = _import(store, chat, key, assignee, now)
            customer_id = customers[chat.name] = store.conversation(conv_id).customer.id
            if chat.name in DEMO_VIP:
                store.set_vip(customer_id)
            note = DEMO_NOTES.get(chat.name)
            if note is not None and assignee is not None:
                store.operator_send(assignee, conv_id, note, f"demo-note-{index}", internal=True)
            photo = DEMO_PHOTOS.get(chat.name)
            if photo is not None:
                _send_photo(store, db_url, customer_id, photo, f"demo-photo-{index}")
                if assignee is not None:  # and the operator answers with a form to fill in
                    files = FileStore(store._sessions, default_files_dir(db_url))
                    form = files.keep_bytes(DEMO_PDF, "refund-form.pdf", operator_id=assignee)
                    store.operator_send(
                        assignee, conv_id, "Thank you! Please fill in the refund form.", f"demo-form-{index}",
                        attachments=[form.id],
                    )
            card = DEMO_CARDS.get(chat.name)
            if card is not None:
                store.customers.update(ids["maria"], customer_id, card, f"demo-card-{index}")
            for k, (author, text) in enumerate(DEMO_CARD_NOTES.get(chat.name, [])):
                store.timeline.save_note(ids[author], "supervisor", customer_id, text, f"demo-card-note-{index}-{k}")
            made_chats += 1
        for index, chat in enumerate(PAST_CHATS):
            key = _past_identity(index)
            if chat.name not in customers or store.has_identity("web", key):
                continue
            assignee = ids.get(chat.assignee) if chat.assignee else None
            conv_id = _import(store, chat, key, assignee, now)
            _move_to_customer(store, conv_id, customers[chat.name], label="mobile browser")
            made_chats += 1
        _seed_queues(store)
        _seed_templates(store, ids["maria"], db_url)
        _seed_kb(store)
        return DemoAccounts(DEMO_PASSWORD, DEMO_OPERATORS, made_ops, made_chats)
    finally:
        engine.dispose()


def _send_photo(store: Store, db_url: str, customer_id: int, photo: tuple[str, str], txn_id: str) -> None:
    text, name = photo
    files = FileStore(store._sessions, default_files_dir(db_url))
    files.prepare()
    info = files.keep_bytes(parcel_png(), name, "image/png", customer_id=customer_id)
    store.customer_send(customer_id, text, txn_id, attachments=[info.id])


def parcel_png(width: int = 360, height: int = 240) -> bytes:
    """A picture of a dented parcel on a doormat, drawn pixel by pixel (no imaging library)."""
    import struct
    import zlib

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            r, g, b = 226, 232, 240  # wall
            if y > height * 0.62:
                r, g, b = (150, 120, 90) if (x // 6 + y // 6) % 2 else (140, 110, 82)  # doormat
            bx0, bx1, by0, by1 = width * 0.25, width * 0.75, height * 0.22, height * 0.82
            dent = 14 * max(0.0, 1 - abs(x - width * 0.62) / 40) if y < by0 + 30 else 0
            if bx0 <= x <= bx1 and by0 + dent <= y <= by1:
                r, g, b = (196, 150, 96) if x < width * 0.52 else (176, 132, 82)  # the box, two faces
                if abs(x - width * 0.5) < 9:
                    r, g, b = 222, 196, 140  # tape
                if bx0 + 20 < x < bx0 + 70 and by1 - 50 < y < by1 - 20:
                    r, g, b = 245, 245, 245  # the label
            rows += bytes((r, g, b))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


# The demo knowledge base (resources/demo/kb/, 72 articles in ru/uk/en). The accounting
# articles (kb-022..kb-039) are internal, for operators only; the rest are public, so
# the web chat's suggestions have something to offer.
DEMO_KB_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo" / "kb"
DEMO_KB_INTERNAL = frozenset(f"kb-{n:03d}" for n in range(22, 40))
DEMO_SYNONYMS = (
    ("возврат", "повернення", "refund", "рефанд"),
    ("промокод", "купон", "promo code", "coupon"),
    ("эцп", "кэп", "електронний підпис", "электронная подпись"),
    ("оператор", "живой человек", "жива людина", "agent"),
)


def _seed_kb(store: Store) -> None:
    """Import the demo articles (again: changes nothing) and the demo synonym groups
    (only into a knowledge base that has none yet)."""
    from dataclasses import replace

    from app.search import load_markdown_dir

    articles, _errors = load_markdown_dir(DEMO_KB_DIR, default_visibility="public")
    articles = [replace(a, visibility="internal") if a.id in DEMO_KB_INTERNAL else a for a in articles]
    store.kb.import_articles(articles, author="Demo")
    if not store.kb.synonyms():
        store.kb.set_synonyms(DEMO_SYNONYMS)


def _import(store: Store, chat: _Chat, key: str, assignee: int | None, now: datetime) -> int:
    start = now - chat.age
    step = min(timedelta(minutes=3), chat.age / (len(chat.lines) + 1))
    messages: list[tuple[str, int | None, str, datetime]] = []
    for n, (who, text) in enumerate(chat.lines):
        at = start + step * n
        if who == "o":
            messages.append(("operator", assignee, text, at))
        else:
            messages.append(("customer", None, text, at))
    return store.import_conversation(
        channel="web",
        external_id_hash=key,
        name=chat.name,
        locale=chat.locale,
        first_seen=start - timedelta(minutes=1),
        status=chat.status,
        assignee_id=assignee,
        messages=messages,
    )


def _move_to_customer(store: Store, conversation_id: int, customer_id: int, *, label: str) -> None:
    """Demo only: an imported past conversation (with the visitor identity it came
    with, labelled) becomes the conversation of a known customer: a returning customer,
    as identity merge (issue 4) will make them. The customer made for it goes."""
    with store._sessions.begin() as s:
        conv = s.get(Conversation, conversation_id)
        target = s.get(Customer, customer_id)
        assert conv is not None and target is not None
        old = s.get(Customer, conv.customer_id)
        assert old is not None
        conv.customer_id = customer_id
        target.first_seen = min(target.first_seen, old.first_seen)
        s.execute(
            update(Message)
            .where(Message.conversation_id == conversation_id, Message.sender_key == f"cust:{old.id}")
            .values(sender_key=f"cust:{customer_id}")
        )
        s.execute(
            update(CustomerIdentity).where(CustomerIdentity.customer_id == old.id).values(
                customer_id=customer_id, label=label
            )
        )
        s.flush()
        s.delete(old)


def _seed_fields(store: Store) -> None:
    existing = {f.key for f in store.customers.fields()}
    for key, label, kind in DEMO_FIELDS:
        if key not in existing:
            store.customers.add_field(key, label, kind)


def _seed_templates(store: Store, author_id: int, db_url: str) -> None:
    """The team's templates, once (a template whose shortcode exists is left alone);
    /refund sends the refund form along."""
    existing = {t.shortcode for t in store.templates.visible(author_id) if t.scope == "team"}
    for draft in DEMO_TEMPLATES:
        if draft.shortcode not in existing:
            if draft.shortcode == "refund":
                files = FileStore(store._sessions, default_files_dir(db_url))
                form = files.keep_bytes(DEMO_PDF, "refund-form.pdf", operator_id=author_id)
                draft = msgspec.structs.replace(draft, files=[form.id])
            store.templates.save(author_id, draft, f"demo-template-{draft.shortcode}")


def _seed_queues(store: Store) -> None:
    """The demo lines (first line and three second lines) with their members."""
    existing = {q.name for q in store.queues()}
    for name, kind, strategy, members, hours in DEMO_QUEUES:
        if name in existing:
            continue
        store.create_queue(
            name, kind=kind, strategy=strategy, timezone="Europe/Kyiv", hours=json.dumps(hours) if hours else ""
        )
        for username in members:
            store.add_queue_member(name, username)
