<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>Channels</name>
    <message>
        <source>Web chat</source>
        <translation>Веб-чат</translation>
    </message>
    <message>
        <source>Telegram</source>
        <translation>Telegram</translation>
    </message>
    <message>
        <source>WhatsApp</source>
        <translation>WhatsApp</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>Эл. почта</translation>
    </message>
</context>
<context>
    <name>ClickLabel</name>
    <message>
        <source>Copy</source>
        <translation>Копировать</translation>
    </message>
</context>
<context>
    <name>ConversationPane</name>
    <message>
        <source>Select a conversation on the left.

New customer chats appear there as they arrive; the ones assigned to you are under “Mine”.</source>
        <translation>Выберите диалог слева.

Новые чаты клиентов появляются там сразу; назначенные вам — во вкладке «Мои».</translation>
    </message>
    <message>
        <source>Take</source>
        <translation>Взять</translation>
    </message>
    <message>
        <source>Assign this conversation to yourself</source>
        <translation>Назначить этот диалог себе</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>Решено</translation>
    </message>
    <message>
        <source>Mark the customer&apos;s question as answered</source>
        <translation>Отметить, что вопрос клиента решён</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <source>%1 · %2 · #%3</source>
        <comment>channel · status · conversation number</comment>
        <translation>%1 · %2 · №%3</translation>
    </message>
    <message>
        <source>Replace the highlighted %1 before sending: the window has no value for it.</source>
        <translation>Замените выделенное %1 перед отправкой: для него нет значения.</translation>
    </message>
    <message>
        <source>Ctrl+Enter sends · Enter starts a new line · / for templates</source>
        <translation>Ctrl+Enter — отправить · Enter — новая строка · / — шаблоны</translation>
    </message>
    <message>
        <source>“%1” needs a few values:</source>
        <translation>Для «%1» нужно несколько значений:</translation>
    </message>
    <message>
        <source>Insert</source>
        <translation>Вставить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Type your reply…</source>
        <translation>Введите ответ…</translation>
    </message>
    <message>
        <source>waiting in the queue</source>
        <translation>ждёт в очереди</translation>
    </message>
    <message>
        <source>Attach…</source>
        <translation>Прикрепить…</translation>
    </message>
    <message>
        <source>Attach images or PDF files (up to %1 each). You can also drop files here or paste an image.</source>
        <translation>Прикрепите изображения или PDF (до %1 каждый). Файлы можно также перетащить сюда или вставить изображение.</translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation>Передать…</translation>
    </message>
    <message>
        <source>Hand this conversation to a colleague or a line, with a note</source>
        <translation>Передать разговор коллеге или на линию, с заметкой</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <source>Waiting for the customer</source>
        <translation>Ждём ответа клиента</translation>
    </message>
    <message>
        <source>Snooze for 1 hour</source>
        <translation>Отложить на 1 час</translation>
    </message>
    <message>
        <source>Snooze until tomorrow 09:00</source>
        <translation>Отложить до завтра, 09:00</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>Открыть снова</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Ответ</translation>
    </message>
    <message>
        <source>Internal note</source>
        <translation>Внутренняя заметка</translation>
    </message>
    <message>
        <source>A note is shown to operators only, never to the customer</source>
        <translation>Заметку видят только операторы, клиент — никогда</translation>
    </message>
    <message>
        <source>Loading earlier messages…</source>
        <translation>Загрузка более ранних сообщений…</translation>
    </message>
    <message>
        <source>team</source>
        <translation>команда</translation>
    </message>
    <message>
        <source>personal</source>
        <translation>личный</translation>
    </message>
    <message>
        <source>The 24-hour window has closed: WhatsApp only delivers approved templates</source>
        <translation>Окно 24 часов закрылось: WhatsApp доставляет только одобренные шаблоны</translation>
    </message>
    <message>
        <source>Choose template…</source>
        <translation>Выбрать шаблон…</translation>
    </message>
    <message>
        <source>Send a message template approved by WhatsApp; when the customer answers, you can write freely again</source>
        <translation>Отправить шаблон сообщения, одобренный WhatsApp; когда клиент ответит, можно снова писать свободно</translation>
    </message>
    <message>
        <source>New messages ↓</source>
        <translation>Новые сообщения ↓</translation>
    </message>
    <message>
        <source>Go to the newest message</source>
        <translation>К последнему сообщению</translation>
    </message>
    <message>
        <source>open</source>
        <translation>открыт</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>решён</translation>
    </message>
    <message>
        <source>waiting for the customer</source>
        <translation>ждём ответа клиента</translation>
    </message>
    <message>
        <source>snoozed until %1</source>
        <translation>отложен до %1</translation>
    </message>
    <message>
        <source>This conversation is resolved: you can read it and add internal notes. When the customer writes again, a new conversation starts.</source>
        <translation>Этот диалог решён: его можно читать и добавлять внутренние заметки. Если клиент напишет снова, начнётся новый диалог.</translation>
    </message>
    <message>
        <source>This customer is waiting in the queue. Take the conversation or just reply: replying takes it.</source>
        <translation>Клиент ждёт в очереди. Возьмите диалог или просто ответьте — ответ назначит его вам.</translation>
    </message>
    <message>
        <source>Another operator is handling this conversation.</source>
        <translation>Этот диалог ведёт другой оператор.</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Отправляется…</translation>
    </message>
    <message>
        <source>Too long: %1 of at most %2 characters.</source>
        <translation>Слишком длинно: %1 из %2 допустимых символов.</translation>
    </message>
    <message>
        <source>The template&apos;s files were not added: a note carries no files.</source>
        <translation>Файлы шаблона не добавлены: к заметке файлы не прикрепляются.</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>Прикрепить файлы</translation>
    </message>
    <message>
        <source>Images and PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;All files (*)</source>
        <translation>Изображения и PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;Все файлы (*)</translation>
    </message>
    <message>
        <source>pasted image</source>
        <translation>вставленное изображение</translation>
    </message>
    <message>
        <source>Remove this file (stops its upload)</source>
        <translation>Убрать файл (загрузка остановится)</translation>
    </message>
    <message>
        <source>%1 · uploading %2%</source>
        <translation>%1 · загрузка %2%</translation>
    </message>
    <message>
        <source>%1 was not attached: %2</source>
        <translation>%1 не прикреплён: %2</translation>
    </message>
    <message>
        <source>Wait until the files are uploaded, then send.</source>
        <translation>Дождитесь окончания загрузки файлов и отправьте.</translation>
    </message>
    <message>
        <source>Remove the files that were not attached (✕), then send.</source>
        <translation>Уберите неприкреплённые файлы (✕) и отправьте.</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Открыть</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>Сохранить как…</translation>
    </message>
    <message>
        <source>Save the file</source>
        <translation>Сохранить файл</translation>
    </message>
    <message>
        <source>Internal note: only operators see it…</source>
        <translation>Внутренняя заметка: её видят только операторы…</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>Добавить заметку</translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 печатает…</translation>
    </message>
    <message>
        <source>⚠ %1 is typing in this conversation</source>
        <translation>⚠ %1 печатает в этом разговоре</translation>
    </message>
    <message>
        <source>⚠ Also viewing: %1</source>
        <translation>⚠ Также смотрит: %1</translation>
    </message>
    <message>
        <source>%1 (%2) — click to open, right-click to save</source>
        <translation>%1 (%2) — щелчок откроет, правая кнопка — сохранить</translation>
    </message>
    <message>
        <source>Click to send it again</source>
        <translation>Нажмите, чтобы отправить ещё раз</translation>
    </message>
</context>
<context>
    <name>CustomerBridge</name>
    <message>
        <source>Could not load the card</source>
        <translation>Не удалось загрузить карточку</translation>
    </message>
    <message>
        <source>Not saved: the connection to the hub is down. Press Enter to try again.</source>
        <translation>Не сохранено: нет связи с хабом. Нажмите Enter, чтобы повторить.</translation>
    </message>
    <message>
        <source>Could not search</source>
        <translation>Не удалось выполнить поиск</translation>
    </message>
    <message>
        <source>Not merged: the connection to the hub is down. Try again.</source>
        <translation>Не объединено: нет связи с хабом. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>Not undone: the merge was undone already, or the card was merged again since.</source>
        <translation>Не отменено: объединение уже отменено, или карточку с тех пор снова объединили.</translation>
    </message>
    <message>
        <source>Not undone: %1</source>
        <translation>Не отменено: %1</translation>
    </message>
    <message>
        <source>Not undone: the connection to the hub is down. Try again.</source>
        <translation>Не отменено: нет связи с хабом. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>Not sent: the connection to the hub is down. Try again.</source>
        <translation>Не отправлено: нет соединения с хабом. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>Not sent: %1 is not working on the hub right now (not set up, or down). Tell your administrator.</source>
        <translation>Не отправлено: %1 сейчас не работает на хабе (не настроен или недоступен). Сообщите администратору.</translation>
    </message>
    <message>
        <source>Not sent: there is already an open %1 conversation with this customer. Write there.</source>
        <translation>Не отправлено: с этим клиентом уже есть открытый разговор в %1. Пишите туда.</translation>
    </message>
    <message>
        <source>Not sent: the customer cannot be reached on %1.</source>
        <translation>Не отправлено: с клиентом нельзя связаться через %1.</translation>
    </message>
    <message>
        <source>Write the message first.</source>
        <translation>Сначала напишите сообщение.</translation>
    </message>
    <message>
        <source>Not sent: the message is too long.</source>
        <translation>Не отправлено: сообщение слишком длинное.</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Не отправлено: %1</translation>
    </message>
    <message>
        <source>Not sent: the customer has not written on %1 in the last 24 hours. WhatsApp only delivers approved templates: choose one.</source>
        <translation>Не отправлено: клиент не писал в %1 последние 24 часа. WhatsApp доставляет только одобренные шаблоны: выберите шаблон.</translation>
    </message>
    <message>
        <source>Not merged: one of the cards no longer exists.</source>
        <translation>Не объединено: одной из карточек больше нет.</translation>
    </message>
    <message>
        <source>Not merged: one of the cards was merged into another card meanwhile.</source>
        <translation>Не объединено: одну из карточек тем временем объединили с другой.</translation>
    </message>
    <message>
        <source>Not merged: the notes together would be too long. Keep the notes of one card.</source>
        <translation>Не объединено: заметки вместе получатся слишком длинными. Оставьте заметки одной карточки.</translation>
    </message>
    <message>
        <source>Not merged: these two cards cannot be merged.</source>
        <translation>Не объединено: эти две карточки нельзя объединить.</translation>
    </message>
    <message>
        <source>Not merged: %1</source>
        <translation>Не объединено: %1</translation>
    </message>
    <message>
        <source>“%1” is not a valid phone number. Write it with the country code, e.g. +380 67 123 45 67.</source>
        <translation>«%1» — неверный номер телефона. Укажите его с кодом страны, например +380 67 123 45 67.</translation>
    </message>
    <message>
        <source>“%1” is not an e-mail address (example: name@example.com).</source>
        <translation>«%1» — не адрес электронной почты (пример: name@example.com).</translation>
    </message>
    <message>
        <source>“%1” is not a number.</source>
        <translation>«%1» — не число.</translation>
    </message>
    <message>
        <source>“%1” is not a date: write it as 23.11.2026 or 2026-11-23.</source>
        <translation>«%1» — не дата: укажите её как 23.11.2026 или 2026-11-23.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не сохранено: %1</translation>
    </message>
    <message>
        <source>Could not load the timeline</source>
        <translation>Не удалось загрузить историю</translation>
    </message>
    <message>
        <source>Not saved: the connection to the hub is down. Try again.</source>
        <translation>Не сохранено: нет связи с хабом. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>Write the note first.</source>
        <translation>Сначала напишите заметку.</translation>
    </message>
    <message>
        <source>Not saved: a note can have at most %1 characters.</source>
        <translation>Не сохранено: в заметке может быть не больше %1 символов.</translation>
    </message>
    <message>
        <source>Not saved: only the note&apos;s author or a supervisor can change it.</source>
        <translation>Не сохранено: изменить заметку может только её автор или супервизор.</translation>
    </message>
    <message>
        <source>Not saved: this customer or note no longer exists.</source>
        <translation>Не сохранено: этого клиента или заметки больше нет.</translation>
    </message>
    <message>
        <source>Not saved: this card was merged into another one. Open that card.</source>
        <translation>Не сохранено: эта карточка объединена с другой. Откройте ту карточку.</translation>
    </message>
    <message>
        <source>The name cannot be empty.</source>
        <translation>Имя не может быть пустым.</translation>
    </message>
    <message>
        <source>Not saved: this customer no longer exists.</source>
        <translation>Не сохранено: этого клиента больше нет.</translation>
    </message>
    <message>
        <source>%1: the connection to the hub is down.</source>
        <translation>%1: нет связи с хабом.</translation>
    </message>
    <message>
        <source>%1: the hub did not answer in time.</source>
        <translation>%1: хаб не ответил вовремя.</translation>
    </message>
    <message>
        <source>%1: this customer no longer exists.</source>
        <translation>%1: этого клиента больше нет.</translation>
    </message>
</context>
<context>
    <name>CustomerCard</name>
    <message>
        <source>CUSTOMER</source>
        <translation>КЛИЕНТ</translation>
    </message>
    <message>
        <source>The customer&apos;s details appear here when you open a conversation.</source>
        <translation>Данные клиента появятся здесь, когда вы откроете диалог.</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Телефон</translation>
    </message>
    <message>
        <source>No phone yet — add one</source>
        <translation>Телефона пока нет — добавьте</translation>
    </message>
    <message>
        <source>+ Add a phone</source>
        <translation>+ Добавить телефон</translation>
    </message>
    <message>
        <source>e.g. 067 123 45 67 or +48 501 234 567</source>
        <translation>например, 067 123 45 67 или +48 501 234 567</translation>
    </message>
    <message>
        <source>Enter saves · Esc cancels</source>
        <translation>Enter — сохранить · Esc — отменить</translation>
    </message>
    <message>
        <source>Remove this number</source>
        <translation>Удалить этот номер</translation>
    </message>
    <message>
        <source>No phone</source>
        <translation>Телефона нет</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>Эл. почта</translation>
    </message>
    <message>
        <source>No e-mail yet — add one</source>
        <translation>Почты пока нет — добавьте</translation>
    </message>
    <message>
        <source>+ Add an e-mail</source>
        <translation>+ Добавить почту</translation>
    </message>
    <message>
        <source>name@example.com</source>
        <translation>name@example.com</translation>
    </message>
    <message>
        <source>Remove this address</source>
        <translation>Удалить этот адрес</translation>
    </message>
    <message>
        <source>No e-mail</source>
        <translation>Почты нет</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>Каналы</translation>
    </message>
    <message>
        <source>How the customer reached us; the card is the same on every channel</source>
        <translation>Как клиент с нами связывался; карточка одна для всех каналов</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Теги</translation>
    </message>
    <message>
        <source>New tag</source>
        <translation>Новый тег</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Заметки</translation>
    </message>
    <message>
        <source>No notes yet — click to add</source>
        <translation>Заметок пока нет — нажмите, чтобы добавить</translation>
    </message>
    <message>
        <source>No notes</source>
        <translation>Заметок нет</translation>
    </message>
    <message>
        <source>What colleagues should know about this customer</source>
        <translation>Что коллегам стоит знать об этом клиенте</translation>
    </message>
    <message>
        <source>Ctrl+Enter saves · Enter starts a new line · Esc cancels</source>
        <translation>Ctrl+Enter — сохранить · Enter — новая строка · Esc — отменить</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Сведения</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Фамилия</translation>
    </message>
    <message>
        <source>Not set — click to add</source>
        <translation>Не указано — нажмите, чтобы добавить</translation>
    </message>
    <message>
        <source>Not set</source>
        <translation>Не указано</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>История</translation>
    </message>
    <message>
        <source>+ Add note</source>
        <translation>+ Заметка</translation>
    </message>
    <message>
        <source>A note on the card: colleagues see it in the timeline</source>
        <translation>Заметка в карточке: коллеги увидят её в истории</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Всё</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Диалоги</translation>
    </message>
    <message>
        <source>What colleagues should know: only operators see it</source>
        <translation>Что стоит знать коллегам: видят только операторы</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Сохранение…</translation>
    </message>
    <message>
        <source>Save note</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Ctrl+Enter</source>
        <translation>Ctrl+Enter</translation>
    </message>
    <message>
        <source>VIP customers are served first</source>
        <translation>VIP-клиентов обслуживают в первую очередь</translation>
    </message>
    <message>
        <source>Review and merge…</source>
        <translation>Сравнить и объединить…</translation>
    </message>
    <message>
        <source>Compare both cards, choose what the merged card keeps</source>
        <translation>Сравнить обе карточки и выбрать, что останется в объединённой</translation>
    </message>
    <message>
        <source>Not the same</source>
        <translation>Это разные люди</translation>
    </message>
    <message>
        <source>Do not suggest these two again until the app is restarted</source>
        <translation>Не предлагать эту пару до перезапуска программы</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Отправка…</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <source>Note in #%1</source>
        <translation>Заметка в #%1</translation>
    </message>
    <message>
        <source>%1 · edited</source>
        <translation>%1 · изменено</translation>
    </message>
    <message>
        <source>Card note</source>
        <translation>В карточке</translation>
    </message>
    <message>
        <source>Merged with %1 by %2</source>
        <translation>Объединено с «%1», %2</translation>
    </message>
    <message>
        <source>%1 · undone</source>
        <translation>%1 · отменено</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>Объединение</translation>
    </message>
    <message>
        <source>Cards merged</source>
        <translation>Карточки объединены</translation>
    </message>
    <message>
        <source>Loading the timeline…</source>
        <translation>Загрузка истории…</translation>
    </message>
    <message>
        <source>The timeline loads when the connection is back.</source>
        <translation>История загрузится, когда связь восстановится.</translation>
    </message>
    <message>
        <source>No notes yet. “+ Add note” writes one that every colleague sees here.</source>
        <translation>Заметок пока нет. «+ Заметка» добавит заметку, которую здесь увидят все коллеги.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Choose template…</source>
        <translation>Выбрать шаблон…</translation>
    </message>
    <message>
        <source>WhatsApp delivers free text only within 24 hours of the customer&apos;s last message; after that, send an approved template</source>
        <translation>WhatsApp доставляет свободный текст только в течение 24 часов после последнего сообщения клиента; после этого отправьте одобренный шаблон</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Отменить</translation>
    </message>
    <message>
        <source>Separate the two cards again, as they were before the merge</source>
        <translation>Снова разделить карточки, как до объединения</translation>
    </message>
    <message>
        <source>Today %1</source>
        <translation>Сегодня %1</translation>
    </message>
    <message>
        <source>Yesterday %1</source>
        <translation>Вчера %1</translation>
    </message>
    <message>
        <source>in the queue</source>
        <translation>в очереди</translation>
    </message>
    <message>
        <source>open · %1</source>
        <translation>открыт · %1</translation>
    </message>
    <message>
        <source>open</source>
        <translation>открыт</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>решён</translation>
    </message>
    <message>
        <source>No messages</source>
        <translation>Нет сообщений</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Заметка: %1</translation>
    </message>
    <message>
        <source>No conversations yet.</source>
        <translation>Диалогов пока нет.</translation>
    </message>
    <message>
        <source>Nothing here yet. Conversations, internal notes and merges of this customer will show here, newest first.</source>
        <translation>Здесь пока пусто. Диалоги, внутренние заметки и объединения карточек этого клиента появятся здесь, новые сверху.</translation>
    </message>
    <message>
        <source>Write the note first.</source>
        <translation>Сначала напишите заметку.</translation>
    </message>
    <message>
        <source>Not saved: the connection to the hub is down. Try again.</source>
        <translation>Не сохранено: нет связи с хабом. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>Change the note</source>
        <translation>Изменить заметку</translation>
    </message>
    <message>
        <source>New note on the card</source>
        <translation>Новая заметка в карточке</translation>
    </message>
    <message>
        <source>Merge undone: %1 has a separate card again.</source>
        <translation>Объединение отменено: у %1 снова отдельная карточка.</translation>
    </message>
    <message>
        <source>%1 merged this card with another card of the same person.</source>
        <translation>%1 объединил(а) эту карточку с другой карточкой того же человека.</translation>
    </message>
    <message>
        <source>%1 undid the merge with %2.</source>
        <translation>%1 отменил(а) объединение с %2.</translation>
    </message>
    <message>
        <source>Possibly the same person as %1 — %2</source>
        <translation>Возможно, это тот же человек, что %1 — %2</translation>
    </message>
    <message>
        <source>Merged with %1</source>
        <translation>Объединено с %1</translation>
    </message>
    <message>
        <source>Undoing…</source>
        <translation>Отмена…</translation>
    </message>
    <message>
        <source>★ VIP</source>
        <translation>★ VIP</translation>
    </message>
    <message>
        <source>☆ Mark as VIP</source>
        <translation>☆ Отметить как VIP</translation>
    </message>
    <message>
        <source>← Back to %1</source>
        <translation>← Назад: %1</translation>
    </message>
    <message>
        <source>First seen %1</source>
        <translation>Впервые: %1</translation>
    </message>
    <message>
        <source>Loading the card…</source>
        <translation>Загрузка карточки…</translation>
    </message>
    <message>
        <source>Offline: this is the card as of %1, read-only. It can be changed again once the connection is back.</source>
        <translation>Нет связи: карточка по состоянию на %1, только для чтения. Изменить её можно будет, когда связь восстановится.</translation>
    </message>
    <message>
        <source>Offline: the full card (phones, e-mail, notes) loads when the connection is back.</source>
        <translation>Нет связи: полная карточка (телефоны, почта, заметки) загрузится, когда связь восстановится.</translation>
    </message>
    <message>
        <source>Web chat</source>
        <translation>Веб-чат</translation>
    </message>
    <message>
        <source>No channel yet</source>
        <translation>Каналов пока нет</translation>
    </message>
    <message>
        <source>Write on %1…</source>
        <translation>Написать в %1…</translation>
    </message>
    <message>
        <source>Start a new %1 conversation with this customer; it is assigned to you</source>
        <translation>Начать новый разговор с этим клиентом в %1; он будет назначен вам</translation>
    </message>
    <message>
        <source>New %1 conversation with %2</source>
        <translation>Новый разговор в %1 с %2</translation>
    </message>
    <message>
        <source>The first message, sent through %1</source>
        <translation>Первое сообщение, которое будет отправлено через %1</translation>
    </message>
    <message>
        <source>Write the message first.</source>
        <translation>Сначала напишите сообщение.</translation>
    </message>
    <message>
        <source>Remove this tag</source>
        <translation>Удалить этот тег</translation>
    </message>
    <message>
        <source>+ Add a tag</source>
        <translation>+ Добавить тег</translation>
    </message>
    <message>
        <source>No tags yet — add one</source>
        <translation>Тегов пока нет — добавьте</translation>
    </message>
    <message>
        <source>No tags</source>
        <translation>Тегов нет</translation>
    </message>
    <message>
        <source>a number, e.g. 12500</source>
        <translation>число, например 12500</translation>
    </message>
    <message>
        <source>a date, e.g. 23.11.2026</source>
        <translation>дата, например 23.11.2026</translation>
    </message>
</context>
<context>
    <name>CustomerSearchDialog</name>
    <message>
        <source>Find a customer</source>
        <translation>Поиск клиента</translation>
    </message>
    <message>
        <source>Name, phone, e-mail or e.g. a policy number</source>
        <translation>Имя, телефон, почта или, например, номер полиса</translation>
    </message>
    <message>
        <source>Open card</source>
        <translation>Открыть карточку</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>A phone number may be written any way: 067 123 45 67, +380671234567…</source>
        <translation>Телефон можно писать в любом виде: 067 123 45 67, +380671234567…</translation>
    </message>
    <message>
        <source>Search needs the connection to the hub, which is down right now.</source>
        <translation>Для поиска нужна связь с хабом, а её сейчас нет.</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Поиск…</translation>
    </message>
    <message>
        <source>1 customer found</source>
        <translation>Найдено клиентов: 1</translation>
    </message>
    <message numerus="yes">
        <source>%n customers found</source>
        <translation>
            <numerusform>Найдено клиентов: %n</numerusform>
            <numerusform>Найдено клиентов: %n</numerusform>
            <numerusform>Найдено клиентов: %n</numerusform>
        </translation>
    </message>
    <message>
        <source>Nobody found for “%1”.</source>
        <translation>По запросу «%1» никого не найдено.</translation>
    </message>
</context>
<context>
    <name>FileSize</name>
    <message>
        <source>%1 B</source>
        <translation>%1 Б</translation>
    </message>
    <message>
        <source>%1 KB</source>
        <translation>%1 КБ</translation>
    </message>
    <message>
        <source>%1 MB</source>
        <translation>%1 МБ</translation>
    </message>
</context>
<context>
    <name>FilesBridge</name>
    <message>
        <source>the connection to the hub is down</source>
        <translation>нет связи с хабом</translation>
    </message>
    <message>
        <source>the file is too big (the limit is %1 MB)</source>
        <translation>файл слишком большой (предел — %1 МБ)</translation>
    </message>
    <message>
        <source>this type of file is not allowed (images and PDF only)</source>
        <translation>такой тип файла не принимается (только изображения и PDF)</translation>
    </message>
    <message>
        <source>the file is damaged</source>
        <translation>файл повреждён</translation>
    </message>
    <message>
        <source>too many uploads at once</source>
        <translation>слишком много загрузок одновременно</translation>
    </message>
    <message>
        <source>this conversation belongs to another operator</source>
        <translation>этот диалог ведёт другой оператор</translation>
    </message>
    <message>
        <source>the message is empty</source>
        <translation>сообщение пустое</translation>
    </message>
    <message>
        <source>the file cannot be read: %1</source>
        <translation>файл не читается: %1</translation>
    </message>
    <message>
        <source>The message was not sent: %1</source>
        <translation>Сообщение не отправлено: %1</translation>
    </message>
</context>
<context>
    <name>Inbox</name>
    <message>
        <source>%1 min</source>
        <translation>%1 мин</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 ч %2 мин</translation>
    </message>
    <message>
        <source>%1 d</source>
        <translation>%1 дн.</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>ещё %1</translation>
    </message>
    <message>
        <source>%1 over</source>
        <translation>просрочка %1</translation>
    </message>
    <message>
        <source>Waiting for customer</source>
        <translation>Ждём клиента</translation>
    </message>
    <message>
        <source>Snoozed until %1</source>
        <translation>Отложен до %1</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Не отправлено: %1</translation>
    </message>
    <message>
        <source>Sending: %1</source>
        <translation>Отправляется: %1</translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>Сообщений пока нет</translation>
    </message>
    <message>
        <source>File: %1</source>
        <translation>Файл: %1</translation>
    </message>
    <message>
        <source>(a file)</source>
        <translation>(файл)</translation>
    </message>
    <message>
        <source>You: %1</source>
        <translation>Вы: %1</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Заметка: %1</translation>
    </message>
</context>
<context>
    <name>InlineField</name>
    <message>
        <source>Saving…</source>
        <translation>Сохранение…</translation>
    </message>
</context>
<context>
    <name>KbBridge</name>
    <message>
        <source>The knowledge base is not reachable: the connection to the hub is down.</source>
        <translation>База знаний недоступна: нет соединения с хабом.</translation>
    </message>
    <message>
        <source>The knowledge base did not answer in time.</source>
        <translation>База знаний не ответила вовремя.</translation>
    </message>
    <message>
        <source>Only supervisors and admins can change knowledge base articles.</source>
        <translation>Изменять статьи базы знаний могут только супервизоры и администраторы.</translation>
    </message>
    <message>
        <source>This article no longer exists.</source>
        <translation>Этой статьи больше нет.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не сохранено: %1</translation>
    </message>
    <message>
        <source>The knowledge base could not answer: %1</source>
        <translation>База знаний не смогла ответить: %1</translation>
    </message>
</context>
<context>
    <name>KbEditorDialog</name>
    <message>
        <source>New article</source>
        <translation>Новая статья</translation>
    </message>
    <message>
        <source>Edit article</source>
        <translation>Изменить статью</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Заголовок</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Теги</translation>
    </message>
    <message>
        <source>comma-separated, e.g. refund, policy</source>
        <translation>через запятую, например: возврат, полис</translation>
    </message>
    <message>
        <source>Visible to</source>
        <translation>Кому видна</translation>
    </message>
    <message>
        <source>Operators only (internal)</source>
        <translation>Только операторам (внутренняя)</translation>
    </message>
    <message>
        <source>Customers too (public)</source>
        <translation>И клиентам (публичная)</translation>
    </message>
    <message>
        <source>Text (Markdown: **bold**, lists with 1. or -)</source>
        <translation>Текст (Markdown: **жирный**, списки через 1. или -)</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>An article needs a title and a text.</source>
        <translation>У статьи должны быть заголовок и текст.</translation>
    </message>
</context>
<context>
    <name>KbSearchDialog</name>
    <message>
        <source>Search the knowledge base</source>
        <translation>Поиск по базе знаний</translation>
    </message>
    <message>
        <source>What is the customer asking about?</source>
        <translation>О чём спрашивает клиент?</translation>
    </message>
    <message>
        <source>All languages</source>
        <translation>Все языки</translation>
    </message>
    <message>
        <source>Insert answer</source>
        <translation>Вставить ответ</translation>
    </message>
    <message>
        <source>Put the article&apos;s text into your reply to edit it (Enter)</source>
        <translation>Вставить текст статьи в ответ для правки (Enter)</translation>
    </message>
    <message>
        <source>Insert link</source>
        <translation>Вставить ссылку</translation>
    </message>
    <message>
        <source>Put the article&apos;s title and the link to its public page into your reply</source>
        <translation>Вставить в ответ название статьи и ссылку на её публичную страницу</translation>
    </message>
    <message>
        <source>New article…</source>
        <translation>Новая статья…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Изменить…</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Ищем…</translation>
    </message>
    <message>
        <source>Type what the customer is asking about.</source>
        <translation>Введите, о чём спрашивает клиент.</translation>
    </message>
    <message>
        <source>Nothing found. Try other words or another language.</source>
        <translation>Ничего не найдено. Попробуйте другие слова или другой язык.</translation>
    </message>
    <message>
        <source>Enter or a click puts the answer into your reply; nothing is sent yet.</source>
        <translation>Enter или щелчок вставляет ответ в сообщение; ничего не отправляется.</translation>
    </message>
</context>
<context>
    <name>KbSuggestions</name>
    <message>
        <source>Search… (Ctrl+K)</source>
        <translation>Поиск… (Ctrl+K)</translation>
    </message>
    <message>
        <source>Search the knowledge base (Ctrl+K)</source>
        <translation>Поиск по базе знаний (Ctrl+K)</translation>
    </message>
    <message>
        <source>Suggested articles</source>
        <translation>Подходящие статьи</translation>
    </message>
    <message>
        <source>Suggested articles (%1)</source>
        <translation>Подходящие статьи (%1)</translation>
    </message>
    <message>
        <source>Show or hide the suggestions</source>
        <translation>Показать или скрыть подсказки</translation>
    </message>
    <message>
        <source>Click to put this answer into your reply; you can edit it before sending</source>
        <translation>Щёлкните, чтобы вставить ответ в сообщение; перед отправкой его можно изменить</translation>
    </message>
    <message>
        <source>Insert link</source>
        <translation>Вставить ссылку</translation>
    </message>
    <message>
        <source>Put the article&apos;s title and the link to its public page into your reply</source>
        <translation>Вставить в ответ название статьи и ссылку на её публичную страницу</translation>
    </message>
    <message>
        <source>Articles that answer the customer&apos;s latest message appear here.</source>
        <translation>Здесь появятся статьи, отвечающие на последнее сообщение клиента.</translation>
    </message>
    <message>
        <source>Looking for articles…</source>
        <translation>Ищем статьи…</translation>
    </message>
    <message>
        <source>No article matches the customer&apos;s latest message. Try Search…</source>
        <translation>Нет статей к последнему сообщению клиента. Попробуйте «Поиск…»</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Frontline — sign in</source>
        <translation>Frontline — вход</translation>
    </message>
    <message>
        <source>Sign in to your support hub</source>
        <translation>Вход в хаб поддержки</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>Адрес хаба</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Имя пользователя</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>Запомнить меня на этом компьютере</translation>
    </message>
    <message>
        <source>This computer has no password keyring, so Frontline cannot remember you: you stay signed in until you close the app.</source>
        <translation>На этом компьютере нет хранилища паролей, поэтому Frontline не может вас запомнить: вход действует, пока приложение открыто.</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Войти</translation>
    </message>
    <message>
        <source>Fill in the hub address, your user name and your password.</source>
        <translation>Укажите адрес хаба, имя пользователя и пароль.</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Вход…</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Frontline</source>
        <translation>Frontline</translation>
    </message>
    <message>
        <source>No conversations assigned to you.

While you are Online, new chats are given to you automatically; you can also take one from the Queue.</source>
        <translation>Вам пока не назначено ни одного диалога.

Пока вы в статусе «В сети», новые чаты назначаются вам автоматически; можно также взять диалог из очереди.</translation>
    </message>
    <message>
        <source>Nobody is waiting in the queue.</source>
        <translation>В очереди никто не ждёт.</translation>
    </message>
    <message>
        <source>Team (%1)</source>
        <translation>Команда (%1)</translation>
    </message>
    <message>
        <source>Your team; %1 online now</source>
        <translation>Ваша команда; сейчас в сети: %1</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>В сети</translation>
    </message>
    <message>
        <source>Away</source>
        <translation>Отошёл</translation>
    </message>
    <message>
        <source>Busy (in a call)</source>
        <translation>Занят (звонок)</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Не в сети</translation>
    </message>
    <message>
        <source>Only Online operators are offered new conversations</source>
        <translation>Новые разговоры предлагаются только операторам в сети</translation>
    </message>
    <message>
        <source>The file could not be fetched: %1</source>
        <translation>Файл не удалось получить: %1</translation>
    </message>
    <message>
        <source>Menu</source>
        <translation>Меню</translation>
    </message>
    <message>
        <source>Find a customer…</source>
        <translation>Найти клиента…</translation>
    </message>
    <message>
        <source>Search customers by name, phone in any format, e-mail or a field such as a policy number (Ctrl+Shift+F)</source>
        <translation>Поиск клиентов по имени, телефону в любом виде, почте или полю, например номеру полиса (Ctrl+Shift+F)</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Выйти</translation>
    </message>
    <message>
        <source>Answer templates…</source>
        <translation>Шаблоны ответов…</translation>
    </message>
    <message>
        <source>Mine (%1)</source>
        <translation>Мои (%1)</translation>
    </message>
    <message>
        <source>Queue (%1)</source>
        <translation>Очередь (%1)</translation>
    </message>
    <message>
        <source>(%1 of %2 chats)</source>
        <translation>(%1 из %2 чатов)</translation>
    </message>
    <message>
        <source>for %1</source>
        <translation>уже %1</translation>
    </message>
    <message>
        <source>Since %1</source>
        <translation>С %1</translation>
    </message>
    <message>
        <source>● Connected</source>
        <translation>● Подключено</translation>
    </message>
    <message>
        <source>● Not connected</source>
        <translation>● Нет подключения</translation>
    </message>
    <message>
        <source>● Offline since %1 · 1 message waiting</source>
        <translation>● Нет связи с %1 · ждёт отправки: 1</translation>
    </message>
    <message>
        <source>● Offline since %1 · %2 messages waiting</source>
        <translation>● Нет связи с %1 · ждут отправки: %2</translation>
    </message>
    <message>
        <source>● Offline since %1, reconnecting…</source>
        <translation>● Нет связи с %1, переподключение…</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>Сохранено: %1</translation>
    </message>
    <message>
        <source>Open a conversation you can reply to, then insert the answer.</source>
        <translation>Откройте разговор, в котором вы можете отвечать, и вставьте ответ.</translation>
    </message>
    <message>
        <source>● Connecting…</source>
        <translation>● Подключение…</translation>
    </message>
    <message>
        <source>● Signed out</source>
        <translation>● Выполнен выход</translation>
    </message>
    <message>
        <source>You did not accept the chat with %1 in time, so it went to a colleague and your status is now Away. Choose Online to get new chats.</source>
        <translation>Вы не приняли чат с %1 вовремя: он ушёл коллеге, а ваш статус теперь «Отошёл». Выберите «В сети», чтобы получать новые чаты.</translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message>
        <source>same phone %1</source>
        <translation>тот же телефон %1</translation>
    </message>
    <message>
        <source>same e-mail %1</source>
        <translation>тот же e-mail %1</translation>
    </message>
    <message>
        <source>Merge customer cards</source>
        <translation>Объединение карточек клиента</translation>
    </message>
    <message>
        <source>Is this one person? Merge the two cards into one.</source>
        <translation>Это один человек? Объедините две карточки в одну.</translation>
    </message>
    <message>
        <source>The hub noticed: %1.</source>
        <translation>Хаб заметил: %1.</translation>
    </message>
    <message>
        <source>Keep this card</source>
        <translation>Оставить эту карточку</translation>
    </message>
    <message>
        <source>The other card is merged into this one and hidden; it can be restored with Undo.</source>
        <translation>Другая карточка войдёт в эту и будет скрыта; её можно вернуть кнопкой «Отменить».</translation>
    </message>
    <message>
        <source>Where they differ, the kept card takes</source>
        <translation>Где они различаются, в оставленной карточке будет</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Полное имя</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Фамилия</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Заметки</translation>
    </message>
    <message>
        <source>Both: the kept card&apos;s notes, then the other&apos;s</source>
        <translation>Обе: заметки оставленной карточки, затем другой</translation>
    </message>
    <message>
        <source>VIP</source>
        <translation>VIP</translation>
    </message>
    <message>
        <source>Nothing differs: the kept card keeps its values and gains the other&apos;s.</source>
        <translation>Различий нет: оставленная карточка сохранит свои данные и получит данные другой.</translation>
    </message>
    <message>
        <source>Always united on the kept card</source>
        <translation>Всегда объединяется в оставленной карточке</translation>
    </message>
    <message>
        <source>The other card is hidden, not deleted: the merge can be undone from the card.</source>
        <translation>Другая карточка скрывается, а не удаляется: объединение можно отменить из карточки.</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>Объединить</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>★ VIP</source>
        <translation>★ VIP</translation>
    </message>
    <message>
        <source>Not VIP</source>
        <translation>Не VIP</translation>
    </message>
    <message>
        <source>%1+ conversations</source>
        <translation>Диалогов: %1+</translation>
    </message>
    <message>
        <source>1 conversation</source>
        <translation>1 диалог</translation>
    </message>
    <message numerus="yes">
        <source>%n conversations</source>
        <translation>
            <numerusform>%n диалог</numerusform>
            <numerusform>%n диалога</numerusform>
            <numerusform>%n диалогов</numerusform>
        </translation>
    </message>
    <message>
        <source>First seen %1</source>
        <translation>Впервые: %1</translation>
    </message>
    <message>
        <source>Phones: %1</source>
        <translation>Телефоны: %1</translation>
    </message>
    <message>
        <source>E-mails: %1</source>
        <translation>E-mail: %1</translation>
    </message>
    <message>
        <source>Tags: %1</source>
        <translation>Теги: %1</translation>
    </message>
    <message>
        <source>Web chat</source>
        <translation>Веб-чат</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Channels: %1</source>
        <translation>Каналы: %1</translation>
    </message>
    <message>
        <source>Details only the other card has are added.</source>
        <translation>Данные, которые есть только в другой карточке, добавятся.</translation>
    </message>
    <message>
        <source>More than %1 conversations will be on one card.</source>
        <translation>Больше %1 диалогов будут в одной карточке.</translation>
    </message>
    <message>
        <source>1 conversation will be on one card.</source>
        <translation>1 диалог будет в одной карточке.</translation>
    </message>
    <message numerus="yes">
        <source>%n conversations will be on one card.</source>
        <translation>
            <numerusform>%n диалог будет в одной карточке.</numerusform>
            <numerusform>%n диалога будут в одной карточке.</numerusform>
            <numerusform>%n диалогов будут в одной карточке.</numerusform>
        </translation>
    </message>
    <message>
        <source>The conversations of both will be on one card.</source>
        <translation>Диалоги обоих будут в одной карточке.</translation>
    </message>
    <message>
        <source>Merge into %1</source>
        <translation>Объединить в %1</translation>
    </message>
    <message>
        <source>Merging…</source>
        <translation>Объединение…</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>Not sent: the 24-hour window has closed — send a template</source>
        <translation>Не отправлено: окно 24 часов закрылось — отправьте шаблон</translation>
    </message>
    <message>
        <source>Not sent — resend</source>
        <translation>Не отправлено — отправить снова</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Отправляется…</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Клиент</translation>
    </message>
    <message>
        <source>System</source>
        <translation>Система</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Оператор</translation>
    </message>
    <message>
        <source>Note (operators only)</source>
        <translation>Заметка (только операторам)</translation>
    </message>
    <message>
        <source>Image not available</source>
        <translation>Изображение недоступно</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Загрузка…</translation>
    </message>
</context>
<context>
    <name>OfferBanner</name>
    <message>
        <source>Accept</source>
        <translation>Принять</translation>
    </message>
    <message>
        <source>Take this chat (Enter)</source>
        <translation>Взять этот чат (Enter)</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Отклонить</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>New chat for you: %1</source>
        <translation>Новый чат для вас: %1</translation>
    </message>
    <message>
        <source>%1 s to accept</source>
        <translation>%1 с, чтобы принять</translation>
    </message>
</context>
<context>
    <name>SessionBridge</name>
    <message>
        <source>Cannot reach the hub at %1: %2</source>
        <translation>Не удаётся связаться с хабом %1: %2</translation>
    </message>
    <message>
        <source>Wrong user name or password.</source>
        <translation>Неверное имя пользователя или пароль.</translation>
    </message>
    <message>
        <source>The hub refused the login: %1</source>
        <translation>Хаб отклонил вход: %1</translation>
    </message>
    <message>
        <source>The connection dropped during login. Try again.</source>
        <translation>Соединение прервалось во время входа. Попробуйте ещё раз.</translation>
    </message>
    <message>
        <source>The message was not sent</source>
        <translation>Сообщение не отправлено</translation>
    </message>
    <message>
        <source>the hub could not be reached for 5 minutes</source>
        <translation>хаб был недоступен 5 минут</translation>
    </message>
    <message>
        <source>The note was not saved</source>
        <translation>Заметка не сохранена</translation>
    </message>
    <message>
        <source>Could not accept the chat</source>
        <translation>Не удалось принять чат</translation>
    </message>
    <message>
        <source>Could not decline the chat</source>
        <translation>Не удалось отклонить чат</translation>
    </message>
    <message>
        <source>Could not transfer the conversation</source>
        <translation>Не удалось передать разговор</translation>
    </message>
    <message>
        <source>Could not change the conversation state</source>
        <translation>Не удалось изменить состояние разговора</translation>
    </message>
    <message>
        <source>Could not take the conversation</source>
        <translation>Не удалось взять диалог</translation>
    </message>
    <message>
        <source>Could not resolve the conversation</source>
        <translation>Не удалось закрыть диалог</translation>
    </message>
    <message>
        <source>Could not change your status</source>
        <translation>Не удалось сменить статус</translation>
    </message>
    <message>
        <source>Could not load the conversation</source>
        <translation>Не удалось загрузить диалог</translation>
    </message>
    <message>
        <source>Could not load earlier messages</source>
        <translation>Не удалось загрузить более ранние сообщения</translation>
    </message>
    <message>
        <source>this is not a valid hub address (example: ws://hub.example.local:8765)</source>
        <translation>это неверный адрес хаба (пример: ws://hub.example.local:8765)</translation>
    </message>
    <message>
        <source>nothing answers on that address and port; is the hub running?</source>
        <translation>по этому адресу и порту никто не отвечает; хаб запущен?</translation>
    </message>
    <message>
        <source>no answer in time; check the network or the address</source>
        <translation>нет ответа; проверьте сеть или адрес</translation>
    </message>
    <message>
        <source>the server there is not a Frontline hub</source>
        <translation>по этому адресу не хаб Frontline</translation>
    </message>
    <message>
        <source>the hub refused this client: %1</source>
        <translation>хаб отклонил этот клиент: %1</translation>
    </message>
    <message>
        <source>network error: %1</source>
        <translation>ошибка сети: %1</translation>
    </message>
    <message>
        <source>%1: the connection to the hub is down.</source>
        <translation>%1: нет связи с хабом.</translation>
    </message>
    <message>
        <source>another operator has already taken it</source>
        <translation>его уже взял другой оператор</translation>
    </message>
    <message>
        <source>this conversation belongs to another operator</source>
        <translation>этот диалог ведёт другой оператор</translation>
    </message>
    <message>
        <source>the conversation no longer exists</source>
        <translation>диалога больше нет</translation>
    </message>
    <message>
        <source>the message is empty</source>
        <translation>сообщение пустое</translation>
    </message>
    <message>
        <source>the message is too long (at most 8000 characters)</source>
        <translation>сообщение слишком длинное (не более 8000 символов)</translation>
    </message>
</context>
<context>
    <name>TemplateBridge</name>
    <message>
        <source>Not saved: the connection to the hub is down. Try again when it is back.</source>
        <translation>Не сохранено: нет соединения с хабом. Повторите, когда оно восстановится.</translation>
    </message>
    <message>
        <source>Not saved: the hub did not answer in time. Try again.</source>
        <translation>Не сохранено: хаб не ответил вовремя. Повторите попытку.</translation>
    </message>
    <message>
        <source>Only supervisors and admins can change team templates.</source>
        <translation>Изменять шаблоны команды могут только супервизоры и администраторы.</translation>
    </message>
    <message>
        <source>Not saved: this shortcode is already used. Choose another one.</source>
        <translation>Не сохранено: это сокращение уже занято. Выберите другое.</translation>
    </message>
    <message>
        <source>This template no longer exists.</source>
        <translation>Этого шаблона больше нет.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не сохранено: %1</translation>
    </message>
</context>
<context>
    <name>TemplatesDialog</name>
    <message>
        <source>Answer templates</source>
        <translation>Шаблоны ответов</translation>
    </message>
    <message>
        <source>Search by shortcode, title or text</source>
        <translation>Поиск по сокращению, названию или тексту</translation>
    </message>
    <message>
        <source>New personal template</source>
        <translation>Новый личный шаблон</translation>
    </message>
    <message>
        <source>Shortcode</source>
        <translation>Сокращение</translation>
    </message>
    <message>
        <source>e.g. refund, typed as /refund</source>
        <translation>например, refund — набирается как /refund</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Название</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Категория</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <source>Who sees it</source>
        <translation>Кто видит</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Текст</translation>
    </message>
    <message>
        <source>Files sent with the template (images, PDF)</source>
        <translation>Файлы, отправляемые с шаблоном (изображения, PDF)</translation>
    </message>
    <message>
        <source>Add file…</source>
        <translation>Добавить файл…</translation>
    </message>
    <message>
        <source>Inserting the template attaches these files to the reply</source>
        <translation>При вставке шаблона эти файлы прикрепляются к ответу</translation>
    </message>
    <message>
        <source>Remove file</source>
        <translation>Убрать файл</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <source>Make a personal copy</source>
        <translation>Сделать личную копию</translation>
    </message>
    <message>
        <source>Any language</source>
        <translation>Любой язык</translation>
    </message>
    <message>
        <source>Only me (personal)</source>
        <translation>Только я (личный)</translation>
    </message>
    <message>
        <source>The whole team</source>
        <translation>Вся команда</translation>
    </message>
    <message>
        <source>Variables filled in from the conversation: %1. A fill-in prompt such as {?Policy number} asks you for the value when the template is inserted.</source>
        <translation>Переменные, которые подставляются из разговора: %1. Запрос вроде {?Номер полиса} спросит значение при вставке шаблона.</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>Без категории</translation>
    </message>
    <message>
        <source>team</source>
        <translation>команда</translation>
    </message>
    <message>
        <source>personal</source>
        <translation>личный</translation>
    </message>
    <message>
        <source>This is a team template: everyone can use it, only supervisors and admins can change it. Make a personal copy if you need another wording.</source>
        <translation>Это шаблон команды: пользоваться им могут все, а изменять — только супервизоры и администраторы. Если нужна другая формулировка, сделайте личную копию.</translation>
    </message>
    <message>
        <source>Last changed %1 by %2</source>
        <translation>Изменён %1, автор: %2</translation>
    </message>
    <message>
        <source>Last changed %1</source>
        <translation>Изменён %1</translation>
    </message>
    <message>
        <source>%1 · uploading…</source>
        <translation>%1 · загрузка…</translation>
    </message>
    <message>
        <source>Add files to the template</source>
        <translation>Добавить файлы к шаблону</translation>
    </message>
    <message>
        <source>Images and PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;All files (*)</source>
        <translation>Изображения и PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;Все файлы (*)</translation>
    </message>
    <message>
        <source>%1 was not added: %2</source>
        <translation>%1 не добавлен: %2</translation>
    </message>
    <message>
        <source>Wait until the files are uploaded, then save.</source>
        <translation>Дождитесь загрузки файлов, затем сохраните.</translation>
    </message>
    <message>
        <source>Delete template</source>
        <translation>Удаление шаблона</translation>
    </message>
    <message>
        <source>Delete the template /%1 “%2”?</source>
        <translation>Удалить шаблон /%1 «%2»?</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <source>Transfer %1</source>
        <translation>Передать: %1</translation>
    </message>
    <message>
        <source>Transfer to</source>
        <translation>Кому передать</translation>
    </message>
    <message>
        <source>online</source>
        <translation>в сети</translation>
    </message>
    <message>
        <source>away</source>
        <translation>отошёл</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>занят</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>не в сети</translation>
    </message>
    <message>
        <source>first line</source>
        <translation>первая линия</translation>
    </message>
    <message>
        <source>line</source>
        <translation>линия</translation>
    </message>
    <message>
        <source>Internal note (the customer never sees it)</source>
        <translation>Внутренняя заметка (клиент её не увидит)</translation>
    </message>
    <message>
        <source>What has been done, what is left — so nobody asks the customer again</source>
        <translation>Что сделано и что осталось — чтобы клиента не расспрашивали заново</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Передать</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>There is nobody to transfer to.</source>
        <translation>Передать некому.</translation>
    </message>
    <message>
        <source>The note is too long.</source>
        <translation>Заметка слишком длинная.</translation>
    </message>
</context>
<context>
    <name>WaTemplateBridge</name>
    <message>
        <source>Not sent: the connection to the hub is down. Try again when it is back.</source>
        <translation>Не отправлено: нет связи с хабом. Попробуйте снова, когда связь вернётся.</translation>
    </message>
    <message>
        <source>The templates could not be read: the connection to the hub is down.</source>
        <translation>Не удалось получить шаблоны: нет связи с хабом.</translation>
    </message>
    <message>
        <source>The hub did not answer in time. Try again.</source>
        <translation>Хаб не ответил вовремя. Попробуйте снова.</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Не отправлено: %1</translation>
    </message>
    <message>
        <source>WhatsApp is not working on the hub right now (not set up, or down). Tell your administrator.</source>
        <translation>WhatsApp сейчас не работает на хабе (не настроен или недоступен). Сообщите администратору.</translation>
    </message>
    <message>
        <source>The 24-hour window has closed: WhatsApp only delivers approved templates</source>
        <translation>Окно 24 часов закрылось: WhatsApp доставляет только одобренные шаблоны</translation>
    </message>
</context>
<context>
    <name>WaTemplateDialog</name>
    <message>
        <source>WhatsApp template for %1</source>
        <translation>Шаблон WhatsApp для %1</translation>
    </message>
    <message>
        <source>WhatsApp delivers free text only to a customer who wrote in the last 24 hours; otherwise only approved templates. Choose one, fill in its values and send it to start the conversation.</source>
        <translation>WhatsApp доставляет свободный текст только клиенту, который писал в последние 24 часа; иначе — только одобренные шаблоны. Выберите шаблон, заполните значения и отправьте его, чтобы начать разговор.</translation>
    </message>
    <message>
        <source>The 24-hour window has closed: WhatsApp only delivers approved templates. Choose one, fill in its values and send it; when the customer answers, you can write freely again.</source>
        <translation>Окно 24 часов закрылось: WhatsApp доставляет только одобренные шаблоны. Выберите шаблон, заполните значения и отправьте; когда клиент ответит, можно снова писать свободно.</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <source>Fetch the approved templates from WhatsApp again</source>
        <translation>Заново получить одобренные шаблоны из WhatsApp</translation>
    </message>
    <message>
        <source>What the customer will read</source>
        <translation>Что прочитает клиент</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Отмена</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Отправка…</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <source>utility</source>
        <translation>сервисный</translation>
    </message>
    <message>
        <source>marketing</source>
        <translation>маркетинг</translation>
    </message>
    <message>
        <source>authentication</source>
        <translation>аутентификация</translation>
    </message>
    <message>
        <source>Reading the templates…</source>
        <translation>Получение шаблонов…</translation>
    </message>
    <message>
        <source>WhatsApp could not be reached just now; this is the list from %1.</source>
        <translation>Сейчас не удалось связаться с WhatsApp; это список от %1.</translation>
    </message>
    <message>
        <source>WhatsApp could not be reached: %1</source>
        <translation>Не удалось связаться с WhatsApp: %1</translation>
    </message>
    <message>
        <source>Approved templates as of %1</source>
        <translation>Одобренные шаблоны на %1</translation>
    </message>
    <message>
        <source>The templates have not been fetched yet.</source>
        <translation>Шаблоны ещё не получены.</translation>
    </message>
    <message>
        <source>No approved templates</source>
        <translation>Нет одобренных шаблонов</translation>
    </message>
    <message>
        <source>Choose a template</source>
        <translation>Выберите шаблон</translation>
    </message>
    <message>
        <source>Templates are made and approved in Meta&apos;s WhatsApp Manager; ask your administrator.</source>
        <translation>Шаблоны создаются и одобряются в WhatsApp Manager от Meta; обратитесь к администратору.</translation>
    </message>
    <message>
        <source>Choose a template.</source>
        <translation>Выберите шаблон.</translation>
    </message>
    <message>
        <source>Fill in %1.</source>
        <translation>Заполните %1.</translation>
    </message>
    <message>
        <source>WhatsApp does not take line breaks, tabs or more than four spaces in a row in a value, nor a text longer than 1024 characters.</source>
        <translation>WhatsApp не принимает в значениях переносы строк, табуляцию и больше четырёх пробелов подряд, а также текст длиннее 1024 символов.</translation>
    </message>
</context>
<context>
    <name>WaTemplateFlow</name>
    <message>
        <source>Template sent.</source>
        <translation>Шаблон отправлен.</translation>
    </message>
</context>
</TS>
