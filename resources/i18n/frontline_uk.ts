<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="uk_UA">
<context>
    <name>Channels</name>
    <message>
        <source>Web chat</source>
        <translation>Вебчат</translation>
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
        <translation>Ел. пошта</translation>
    </message>
</context>
<context>
    <name>ClickLabel</name>
    <message>
        <source>Copy</source>
        <translation>Копіювати</translation>
    </message>
</context>
<context>
    <name>ConversationPane</name>
    <message>
        <source>Select a conversation on the left.

New customer chats appear there as they arrive; the ones assigned to you are under “Mine”.</source>
        <translation>Виберіть розмову ліворуч.

Нові чати клієнтів з&apos;являються там одразу; призначені вам — у вкладці «Мої».</translation>
    </message>
    <message>
        <source>Take</source>
        <translation>Взяти</translation>
    </message>
    <message>
        <source>Assign this conversation to yourself</source>
        <translation>Призначити цю розмову собі</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>Вирішено</translation>
    </message>
    <message>
        <source>Mark the customer&apos;s question as answered</source>
        <translation>Позначити, що питання клієнта вирішено</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Надіслати</translation>
    </message>
    <message>
        <source>%1 · %2 · #%3</source>
        <comment>channel · status · conversation number</comment>
        <translation>%1 · %2 · №%3</translation>
    </message>
    <message>
        <source>Replace the highlighted %1 before sending: the window has no value for it.</source>
        <translation>Замініть виділене %1 перед надсиланням: для нього немає значення.</translation>
    </message>
    <message>
        <source>Ctrl+Enter sends · Enter starts a new line · / for templates</source>
        <translation>Ctrl+Enter — надіслати · Enter — новий рядок · / — шаблони</translation>
    </message>
    <message>
        <source>“%1” needs a few values:</source>
        <translation>Для «%1» потрібно кілька значень:</translation>
    </message>
    <message>
        <source>Insert</source>
        <translation>Вставити</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <source>Type your reply…</source>
        <translation>Введіть відповідь…</translation>
    </message>
    <message>
        <source>waiting in the queue</source>
        <translation>чекає в черзі</translation>
    </message>
    <message>
        <source>Attach…</source>
        <translation>Прикріпити…</translation>
    </message>
    <message>
        <source>Attach images or PDF files (up to %1 each). You can also drop files here or paste an image.</source>
        <translation>Прикріпіть зображення або PDF (до %1 кожен). Файли можна також перетягнути сюди або вставити зображення.</translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation>Передати…</translation>
    </message>
    <message>
        <source>Hand this conversation to a colleague or a line, with a note</source>
        <translation>Передати розмову колезі або на лінію, з нотаткою</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Стан</translation>
    </message>
    <message>
        <source>Waiting for the customer</source>
        <translation>Чекаємо на відповідь клієнта</translation>
    </message>
    <message>
        <source>Snooze for 1 hour</source>
        <translation>Відкласти на 1 годину</translation>
    </message>
    <message>
        <source>Snooze until tomorrow 09:00</source>
        <translation>Відкласти до завтра, 09:00</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>Відкрити знову</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Відповідь</translation>
    </message>
    <message>
        <source>Internal note</source>
        <translation>Внутрішня нотатка</translation>
    </message>
    <message>
        <source>A note is shown to operators only, never to the customer</source>
        <translation>Нотатку бачать лише оператори, клієнт — ніколи</translation>
    </message>
    <message>
        <source>Loading earlier messages…</source>
        <translation>Завантаження попередніх повідомлень…</translation>
    </message>
    <message>
        <source>team</source>
        <translation>команда</translation>
    </message>
    <message>
        <source>personal</source>
        <translation>особистий</translation>
    </message>
    <message>
        <source>The 24-hour window has closed: WhatsApp only delivers approved templates</source>
        <translation>Вікно 24 годин закрилося: WhatsApp доставляє лише схвалені шаблони</translation>
    </message>
    <message>
        <source>Choose template…</source>
        <translation>Вибрати шаблон…</translation>
    </message>
    <message>
        <source>Send a message template approved by WhatsApp; when the customer answers, you can write freely again</source>
        <translation>Надіслати шаблон повідомлення, схвалений WhatsApp; коли клієнт відповість, можна знову писати вільно</translation>
    </message>
    <message>
        <source>New messages ↓</source>
        <translation>Нові повідомлення ↓</translation>
    </message>
    <message>
        <source>Go to the newest message</source>
        <translation>До останнього повідомлення</translation>
    </message>
    <message>
        <source>open</source>
        <translation>відкрита</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>вирішена</translation>
    </message>
    <message>
        <source>waiting for the customer</source>
        <translation>чекаємо на відповідь клієнта</translation>
    </message>
    <message>
        <source>snoozed until %1</source>
        <translation>відкладено до %1</translation>
    </message>
    <message>
        <source>This conversation is resolved: you can read it and add internal notes. When the customer writes again, a new conversation starts.</source>
        <translation>Цю розмову вирішено: її можна читати й додавати внутрішні нотатки. Якщо клієнт напише знову, почнеться нова розмова.</translation>
    </message>
    <message>
        <source>This customer is waiting in the queue. Take the conversation or just reply: replying takes it.</source>
        <translation>Клієнт чекає в черзі. Візьміть розмову або просто відповідайте — відповідь призначить її вам.</translation>
    </message>
    <message>
        <source>Another operator is handling this conversation.</source>
        <translation>Цю розмову веде інший оператор.</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Надсилається…</translation>
    </message>
    <message>
        <source>Too long: %1 of at most %2 characters.</source>
        <translation>Задовго: %1 із %2 допустимих символів.</translation>
    </message>
    <message>
        <source>The template&apos;s files were not added: a note carries no files.</source>
        <translation>Файли шаблону не додано: до нотатки файли не прикріплюються.</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>Прикріпити файли</translation>
    </message>
    <message>
        <source>Images and PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;All files (*)</source>
        <translation>Зображення та PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;Усі файли (*)</translation>
    </message>
    <message>
        <source>pasted image</source>
        <translation>вставлене зображення</translation>
    </message>
    <message>
        <source>Remove this file (stops its upload)</source>
        <translation>Прибрати файл (завантаження зупиниться)</translation>
    </message>
    <message>
        <source>%1 · uploading %2%</source>
        <translation>%1 · завантаження %2%</translation>
    </message>
    <message>
        <source>%1 was not attached: %2</source>
        <translation>%1 не прикріплено: %2</translation>
    </message>
    <message>
        <source>Wait until the files are uploaded, then send.</source>
        <translation>Дочекайтеся завершення завантаження файлів і надішліть.</translation>
    </message>
    <message>
        <source>Remove the files that were not attached (✕), then send.</source>
        <translation>Приберіть неприкріплені файли (✕) і надішліть.</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Відкрити</translation>
    </message>
    <message>
        <source>Save as…</source>
        <translation>Зберегти як…</translation>
    </message>
    <message>
        <source>Save the file</source>
        <translation>Зберегти файл</translation>
    </message>
    <message>
        <source>Internal note: only operators see it…</source>
        <translation>Внутрішня нотатка: її бачать лише оператори…</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>Додати нотатку</translation>
    </message>
    <message>
        <source>%1 is typing…</source>
        <translation>%1 друкує…</translation>
    </message>
    <message>
        <source>⚠ %1 is typing in this conversation</source>
        <translation>⚠ %1 друкує в цій розмові</translation>
    </message>
    <message>
        <source>⚠ Also viewing: %1</source>
        <translation>⚠ Також переглядає: %1</translation>
    </message>
    <message>
        <source>%1 (%2) — click to open, right-click to save</source>
        <translation>%1 (%2) — клацання відкриє, права кнопка — зберегти</translation>
    </message>
    <message>
        <source>Click to send it again</source>
        <translation>Натисніть, щоб надіслати ще раз</translation>
    </message>
</context>
<context>
    <name>CustomerBridge</name>
    <message>
        <source>Could not load the card</source>
        <translation>Не вдалося завантажити картку</translation>
    </message>
    <message>
        <source>Not saved: the connection to the hub is down. Press Enter to try again.</source>
        <translation>Не збережено: немає зв&apos;язку з хабом. Натисніть Enter, щоб повторити.</translation>
    </message>
    <message>
        <source>Could not search</source>
        <translation>Не вдалося виконати пошук</translation>
    </message>
    <message>
        <source>Not merged: the connection to the hub is down. Try again.</source>
        <translation>Не об&apos;єднано: немає зв&apos;язку з хабом. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>Not undone: the merge was undone already, or the card was merged again since.</source>
        <translation>Не скасовано: об&apos;єднання вже скасовано, або картку відтоді знову об&apos;єднали.</translation>
    </message>
    <message>
        <source>Not undone: %1</source>
        <translation>Не скасовано: %1</translation>
    </message>
    <message>
        <source>Not undone: the connection to the hub is down. Try again.</source>
        <translation>Не скасовано: немає зв&apos;язку з хабом. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>Not sent: the connection to the hub is down. Try again.</source>
        <translation>Не надіслано: немає з’єднання з хабом. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>Not sent: %1 is not working on the hub right now (not set up, or down). Tell your administrator.</source>
        <translation>Не надіслано: %1 зараз не працює на хабі (не налаштовано або недоступно). Повідомте адміністратора.</translation>
    </message>
    <message>
        <source>Not sent: there is already an open %1 conversation with this customer. Write there.</source>
        <translation>Не надіслано: з цим клієнтом уже є відкрита розмова в %1. Пишіть туди.</translation>
    </message>
    <message>
        <source>Not sent: the customer cannot be reached on %1.</source>
        <translation>Не надіслано: з клієнтом не можна зв’язатися через %1.</translation>
    </message>
    <message>
        <source>Write the message first.</source>
        <translation>Спершу напишіть повідомлення.</translation>
    </message>
    <message>
        <source>Not sent: the message is too long.</source>
        <translation>Не надіслано: повідомлення задовге.</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Не надіслано: %1</translation>
    </message>
    <message>
        <source>Not sent: the customer has not written on %1 in the last 24 hours. WhatsApp only delivers approved templates: choose one.</source>
        <translation>Не надіслано: клієнт не писав у %1 останні 24 години. WhatsApp доставляє лише схвалені шаблони: виберіть шаблон.</translation>
    </message>
    <message>
        <source>Not merged: one of the cards no longer exists.</source>
        <translation>Не об&apos;єднано: однієї з карток більше немає.</translation>
    </message>
    <message>
        <source>Not merged: one of the cards was merged into another card meanwhile.</source>
        <translation>Не об&apos;єднано: одну з карток тим часом об&apos;єднали з іншою.</translation>
    </message>
    <message>
        <source>Not merged: the notes together would be too long. Keep the notes of one card.</source>
        <translation>Не об&apos;єднано: нотатки разом будуть задовгими. Залиште нотатки однієї картки.</translation>
    </message>
    <message>
        <source>Not merged: these two cards cannot be merged.</source>
        <translation>Не об&apos;єднано: ці дві картки не можна об&apos;єднати.</translation>
    </message>
    <message>
        <source>Not merged: %1</source>
        <translation>Не об&apos;єднано: %1</translation>
    </message>
    <message>
        <source>“%1” is not a valid phone number. Write it with the country code, e.g. +380 67 123 45 67.</source>
        <translation>«%1» — неправильний номер телефону. Вкажіть його з кодом країни, наприклад +380 67 123 45 67.</translation>
    </message>
    <message>
        <source>“%1” is not an e-mail address (example: name@example.com).</source>
        <translation>«%1» — не адреса електронної пошти (приклад: name@example.com).</translation>
    </message>
    <message>
        <source>“%1” is not a number.</source>
        <translation>«%1» — не число.</translation>
    </message>
    <message>
        <source>“%1” is not a date: write it as 23.11.2026 or 2026-11-23.</source>
        <translation>«%1» — не дата: вкажіть її як 23.11.2026 або 2026-11-23.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не збережено: %1</translation>
    </message>
    <message>
        <source>Could not load the timeline</source>
        <translation>Не вдалося завантажити історію</translation>
    </message>
    <message>
        <source>Not saved: the connection to the hub is down. Try again.</source>
        <translation>Не збережено: немає зв’язку з хабом. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>Write the note first.</source>
        <translation>Спершу напишіть нотатку.</translation>
    </message>
    <message>
        <source>Not saved: a note can have at most %1 characters.</source>
        <translation>Не збережено: у нотатці може бути не більше %1 символів.</translation>
    </message>
    <message>
        <source>Not saved: only the note&apos;s author or a supervisor can change it.</source>
        <translation>Не збережено: змінити нотатку може лише її автор або супервізор.</translation>
    </message>
    <message>
        <source>Not saved: this customer or note no longer exists.</source>
        <translation>Не збережено: цього клієнта або нотатки більше немає.</translation>
    </message>
    <message>
        <source>Not saved: this card was merged into another one. Open that card.</source>
        <translation>Не збережено: цю картку об’єднано з іншою. Відкрийте ту картку.</translation>
    </message>
    <message>
        <source>The name cannot be empty.</source>
        <translation>Ім&apos;я не може бути порожнім.</translation>
    </message>
    <message>
        <source>Not saved: this customer no longer exists.</source>
        <translation>Не збережено: цього клієнта більше немає.</translation>
    </message>
    <message>
        <source>%1: the connection to the hub is down.</source>
        <translation>%1: немає зв&apos;язку з хабом.</translation>
    </message>
    <message>
        <source>%1: the hub did not answer in time.</source>
        <translation>%1: хаб не відповів вчасно.</translation>
    </message>
    <message>
        <source>%1: this customer no longer exists.</source>
        <translation>%1: цього клієнта більше немає.</translation>
    </message>
</context>
<context>
    <name>CustomerCard</name>
    <message>
        <source>CUSTOMER</source>
        <translation>КЛІЄНТ</translation>
    </message>
    <message>
        <source>The customer&apos;s details appear here when you open a conversation.</source>
        <translation>Дані клієнта з&apos;являться тут, коли ви відкриєте розмову.</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Повторити</translation>
    </message>
    <message>
        <source>Phone</source>
        <translation>Телефон</translation>
    </message>
    <message>
        <source>No phone yet — add one</source>
        <translation>Телефону ще немає — додайте</translation>
    </message>
    <message>
        <source>+ Add a phone</source>
        <translation>+ Додати телефон</translation>
    </message>
    <message>
        <source>e.g. 067 123 45 67 or +48 501 234 567</source>
        <translation>наприклад, 067 123 45 67 або +48 501 234 567</translation>
    </message>
    <message>
        <source>Enter saves · Esc cancels</source>
        <translation>Enter — зберегти · Esc — скасувати</translation>
    </message>
    <message>
        <source>Remove this number</source>
        <translation>Видалити цей номер</translation>
    </message>
    <message>
        <source>No phone</source>
        <translation>Телефону немає</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>Ел. пошта</translation>
    </message>
    <message>
        <source>No e-mail yet — add one</source>
        <translation>Пошти ще немає — додайте</translation>
    </message>
    <message>
        <source>+ Add an e-mail</source>
        <translation>+ Додати пошту</translation>
    </message>
    <message>
        <source>name@example.com</source>
        <translation>name@example.com</translation>
    </message>
    <message>
        <source>Remove this address</source>
        <translation>Видалити цю адресу</translation>
    </message>
    <message>
        <source>No e-mail</source>
        <translation>Пошти немає</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>Канали</translation>
    </message>
    <message>
        <source>How the customer reached us; the card is the same on every channel</source>
        <translation>Як клієнт із нами зв&apos;язувався; картка одна для всіх каналів</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Теги</translation>
    </message>
    <message>
        <source>New tag</source>
        <translation>Новий тег</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Нотатки</translation>
    </message>
    <message>
        <source>No notes yet — click to add</source>
        <translation>Нотаток ще немає — натисніть, щоб додати</translation>
    </message>
    <message>
        <source>No notes</source>
        <translation>Нотаток немає</translation>
    </message>
    <message>
        <source>What colleagues should know about this customer</source>
        <translation>Що колегам варто знати про цього клієнта</translation>
    </message>
    <message>
        <source>Ctrl+Enter saves · Enter starts a new line · Esc cancels</source>
        <translation>Ctrl+Enter — зберегти · Enter — новий рядок · Esc — скасувати</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Відомості</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Ім&apos;я</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Прізвище</translation>
    </message>
    <message>
        <source>Not set — click to add</source>
        <translation>Не вказано — натисніть, щоб додати</translation>
    </message>
    <message>
        <source>Not set</source>
        <translation>Не вказано</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>Історія</translation>
    </message>
    <message>
        <source>+ Add note</source>
        <translation>+ Нотатка</translation>
    </message>
    <message>
        <source>A note on the card: colleagues see it in the timeline</source>
        <translation>Нотатка в картці: колеги побачать її в історії</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Усе</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Розмови</translation>
    </message>
    <message>
        <source>What colleagues should know: only operators see it</source>
        <translation>Що варто знати колегам: бачать лише оператори</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Збереження…</translation>
    </message>
    <message>
        <source>Save note</source>
        <translation>Зберегти</translation>
    </message>
    <message>
        <source>Ctrl+Enter</source>
        <translation>Ctrl+Enter</translation>
    </message>
    <message>
        <source>VIP customers are served first</source>
        <translation>VIP-клієнтів обслуговують першими</translation>
    </message>
    <message>
        <source>Review and merge…</source>
        <translation>Порівняти й об&apos;єднати…</translation>
    </message>
    <message>
        <source>Compare both cards, choose what the merged card keeps</source>
        <translation>Порівняти обидві картки й вибрати, що залишиться в об&apos;єднаній</translation>
    </message>
    <message>
        <source>Not the same</source>
        <translation>Це різні люди</translation>
    </message>
    <message>
        <source>Do not suggest these two again until the app is restarted</source>
        <translation>Не пропонувати цю пару до перезапуску програми</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Надсилання…</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Надіслати</translation>
    </message>
    <message>
        <source>Note in #%1</source>
        <translation>Нотатка в #%1</translation>
    </message>
    <message>
        <source>%1 · edited</source>
        <translation>%1 · змінено</translation>
    </message>
    <message>
        <source>Card note</source>
        <translation>У картці</translation>
    </message>
    <message>
        <source>Merged with %1 by %2</source>
        <translation>Об’єднано з «%1», %2</translation>
    </message>
    <message>
        <source>%1 · undone</source>
        <translation>%1 · скасовано</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>Об’єднання</translation>
    </message>
    <message>
        <source>Cards merged</source>
        <translation>Картки об’єднано</translation>
    </message>
    <message>
        <source>Loading the timeline…</source>
        <translation>Завантаження історії…</translation>
    </message>
    <message>
        <source>The timeline loads when the connection is back.</source>
        <translation>Історія завантажиться, коли зв’язок відновиться.</translation>
    </message>
    <message>
        <source>No notes yet. “+ Add note” writes one that every colleague sees here.</source>
        <translation>Нотаток поки немає. «+ Нотатка» додасть нотатку, яку тут побачать усі колеги.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <source>Choose template…</source>
        <translation>Вибрати шаблон…</translation>
    </message>
    <message>
        <source>WhatsApp delivers free text only within 24 hours of the customer&apos;s last message; after that, send an approved template</source>
        <translation>WhatsApp доставляє вільний текст лише протягом 24 годин після останнього повідомлення клієнта; після цього надішліть схвалений шаблон</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <source>Separate the two cards again, as they were before the merge</source>
        <translation>Знову розділити картки, як до об&apos;єднання</translation>
    </message>
    <message>
        <source>Today %1</source>
        <translation>Сьогодні %1</translation>
    </message>
    <message>
        <source>Yesterday %1</source>
        <translation>Учора %1</translation>
    </message>
    <message>
        <source>in the queue</source>
        <translation>у черзі</translation>
    </message>
    <message>
        <source>open · %1</source>
        <translation>відкрита · %1</translation>
    </message>
    <message>
        <source>open</source>
        <translation>відкрита</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>вирішена</translation>
    </message>
    <message>
        <source>No messages</source>
        <translation>Немає повідомлень</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Нотатка: %1</translation>
    </message>
    <message>
        <source>No conversations yet.</source>
        <translation>Розмов ще немає.</translation>
    </message>
    <message>
        <source>Nothing here yet. Conversations, internal notes and merges of this customer will show here, newest first.</source>
        <translation>Тут поки порожньо. Розмови, внутрішні нотатки та об’єднання карток цього клієнта з’являться тут, нові згори.</translation>
    </message>
    <message>
        <source>Write the note first.</source>
        <translation>Спершу напишіть нотатку.</translation>
    </message>
    <message>
        <source>Not saved: the connection to the hub is down. Try again.</source>
        <translation>Не збережено: немає зв’язку з хабом. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>Change the note</source>
        <translation>Змінити нотатку</translation>
    </message>
    <message>
        <source>New note on the card</source>
        <translation>Нова нотатка в картці</translation>
    </message>
    <message>
        <source>Merge undone: %1 has a separate card again.</source>
        <translation>Об&apos;єднання скасовано: %1 знову має окрему картку.</translation>
    </message>
    <message>
        <source>%1 merged this card with another card of the same person.</source>
        <translation>%1 об&apos;єднав(ла) цю картку з іншою карткою тієї ж людини.</translation>
    </message>
    <message>
        <source>%1 undid the merge with %2.</source>
        <translation>%1 скасував(ла) об&apos;єднання з %2.</translation>
    </message>
    <message>
        <source>Possibly the same person as %1 — %2</source>
        <translation>Можливо, це та сама людина, що й %1 — %2</translation>
    </message>
    <message>
        <source>Merged with %1</source>
        <translation>Об&apos;єднано з %1</translation>
    </message>
    <message>
        <source>Undoing…</source>
        <translation>Скасування…</translation>
    </message>
    <message>
        <source>★ VIP</source>
        <translation>★ VIP</translation>
    </message>
    <message>
        <source>☆ Mark as VIP</source>
        <translation>☆ Позначити як VIP</translation>
    </message>
    <message>
        <source>← Back to %1</source>
        <translation>← Назад: %1</translation>
    </message>
    <message>
        <source>First seen %1</source>
        <translation>Уперше: %1</translation>
    </message>
    <message>
        <source>Loading the card…</source>
        <translation>Завантаження картки…</translation>
    </message>
    <message>
        <source>Offline: this is the card as of %1, read-only. It can be changed again once the connection is back.</source>
        <translation>Немає зв&apos;язку: картка станом на %1, лише для читання. Змінити її можна буде, коли зв&apos;язок відновиться.</translation>
    </message>
    <message>
        <source>Offline: the full card (phones, e-mail, notes) loads when the connection is back.</source>
        <translation>Немає зв&apos;язку: повна картка (телефони, пошта, нотатки) завантажиться, коли зв&apos;язок відновиться.</translation>
    </message>
    <message>
        <source>Web chat</source>
        <translation>Вебчат</translation>
    </message>
    <message>
        <source>No channel yet</source>
        <translation>Каналів ще немає</translation>
    </message>
    <message>
        <source>Write on %1…</source>
        <translation>Написати у %1…</translation>
    </message>
    <message>
        <source>Start a new %1 conversation with this customer; it is assigned to you</source>
        <translation>Почати нову розмову з цим клієнтом у %1; її буде призначено вам</translation>
    </message>
    <message>
        <source>New %1 conversation with %2</source>
        <translation>Нова розмова в %1 з %2</translation>
    </message>
    <message>
        <source>The first message, sent through %1</source>
        <translation>Перше повідомлення, яке буде надіслано через %1</translation>
    </message>
    <message>
        <source>Write the message first.</source>
        <translation>Спершу напишіть повідомлення.</translation>
    </message>
    <message>
        <source>Remove this tag</source>
        <translation>Видалити цей тег</translation>
    </message>
    <message>
        <source>+ Add a tag</source>
        <translation>+ Додати тег</translation>
    </message>
    <message>
        <source>No tags yet — add one</source>
        <translation>Тегів ще немає — додайте</translation>
    </message>
    <message>
        <source>No tags</source>
        <translation>Тегів немає</translation>
    </message>
    <message>
        <source>a number, e.g. 12500</source>
        <translation>число, наприклад 12500</translation>
    </message>
    <message>
        <source>a date, e.g. 23.11.2026</source>
        <translation>дата, наприклад 23.11.2026</translation>
    </message>
</context>
<context>
    <name>CustomerSearchDialog</name>
    <message>
        <source>Find a customer</source>
        <translation>Пошук клієнта</translation>
    </message>
    <message>
        <source>Name, phone, e-mail or e.g. a policy number</source>
        <translation>Ім&apos;я, телефон, пошта або, наприклад, номер поліса</translation>
    </message>
    <message>
        <source>Open card</source>
        <translation>Відкрити картку</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрити</translation>
    </message>
    <message>
        <source>A phone number may be written any way: 067 123 45 67, +380671234567…</source>
        <translation>Телефон можна писати як завгодно: 067 123 45 67, +380671234567…</translation>
    </message>
    <message>
        <source>Search needs the connection to the hub, which is down right now.</source>
        <translation>Для пошуку потрібен зв&apos;язок із хабом, а його зараз немає.</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Пошук…</translation>
    </message>
    <message>
        <source>1 customer found</source>
        <translation>Знайдено клієнтів: 1</translation>
    </message>
    <message numerus="yes">
        <source>%n customers found</source>
        <translation>
            <numerusform>Знайдено клієнтів: %n</numerusform>
            <numerusform>Знайдено клієнтів: %n</numerusform>
            <numerusform>Знайдено клієнтів: %n</numerusform>
        </translation>
    </message>
    <message>
        <source>Nobody found for “%1”.</source>
        <translation>За запитом «%1» нікого не знайдено.</translation>
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
        <translation>немає зв&apos;язку з хабом</translation>
    </message>
    <message>
        <source>the file is too big (the limit is %1 MB)</source>
        <translation>файл завеликий (межа — %1 МБ)</translation>
    </message>
    <message>
        <source>this type of file is not allowed (images and PDF only)</source>
        <translation>такий тип файлу не приймається (лише зображення та PDF)</translation>
    </message>
    <message>
        <source>the file is damaged</source>
        <translation>файл пошкоджено</translation>
    </message>
    <message>
        <source>too many uploads at once</source>
        <translation>забагато завантажень одночасно</translation>
    </message>
    <message>
        <source>this conversation belongs to another operator</source>
        <translation>цю розмову веде інший оператор</translation>
    </message>
    <message>
        <source>the message is empty</source>
        <translation>повідомлення порожнє</translation>
    </message>
    <message>
        <source>the file cannot be read: %1</source>
        <translation>файл не читається: %1</translation>
    </message>
    <message>
        <source>The message was not sent: %1</source>
        <translation>Повідомлення не надіслано: %1</translation>
    </message>
</context>
<context>
    <name>Inbox</name>
    <message>
        <source>%1 min</source>
        <translation>%1 хв</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 год %2 хв</translation>
    </message>
    <message>
        <source>%1 d</source>
        <translation>%1 дн.</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>ще %1</translation>
    </message>
    <message>
        <source>%1 over</source>
        <translation>прострочка %1</translation>
    </message>
    <message>
        <source>Waiting for customer</source>
        <translation>Чекаємо на клієнта</translation>
    </message>
    <message>
        <source>Snoozed until %1</source>
        <translation>Відкладено до %1</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Не надіслано: %1</translation>
    </message>
    <message>
        <source>Sending: %1</source>
        <translation>Надсилається: %1</translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>Повідомлень ще немає</translation>
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
        <translation>Ви: %1</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Нотатка: %1</translation>
    </message>
</context>
<context>
    <name>InlineField</name>
    <message>
        <source>Saving…</source>
        <translation>Збереження…</translation>
    </message>
</context>
<context>
    <name>KbBridge</name>
    <message>
        <source>The knowledge base is not reachable: the connection to the hub is down.</source>
        <translation>База знань недоступна: немає з’єднання з хабом.</translation>
    </message>
    <message>
        <source>The knowledge base did not answer in time.</source>
        <translation>База знань не відповіла вчасно.</translation>
    </message>
    <message>
        <source>Only supervisors and admins can change knowledge base articles.</source>
        <translation>Змінювати статті бази знань можуть лише супервізори та адміністратори.</translation>
    </message>
    <message>
        <source>This article no longer exists.</source>
        <translation>Цієї статті більше немає.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не збережено: %1</translation>
    </message>
    <message>
        <source>The knowledge base could not answer: %1</source>
        <translation>База знань не змогла відповісти: %1</translation>
    </message>
</context>
<context>
    <name>KbEditorDialog</name>
    <message>
        <source>New article</source>
        <translation>Нова стаття</translation>
    </message>
    <message>
        <source>Edit article</source>
        <translation>Редагувати статтю</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Заголовок</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Мова</translation>
    </message>
    <message>
        <source>Tags</source>
        <translation>Теги</translation>
    </message>
    <message>
        <source>comma-separated, e.g. refund, policy</source>
        <translation>через кому, наприклад: повернення, поліс</translation>
    </message>
    <message>
        <source>Visible to</source>
        <translation>Кому видима</translation>
    </message>
    <message>
        <source>Operators only (internal)</source>
        <translation>Лише операторам (внутрішня)</translation>
    </message>
    <message>
        <source>Customers too (public)</source>
        <translation>І клієнтам (публічна)</translation>
    </message>
    <message>
        <source>Text (Markdown: **bold**, lists with 1. or -)</source>
        <translation>Текст (Markdown: **жирний**, списки через 1. або -)</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Зберегти</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <source>An article needs a title and a text.</source>
        <translation>Стаття повинна мати заголовок і текст.</translation>
    </message>
</context>
<context>
    <name>KbSearchDialog</name>
    <message>
        <source>Search the knowledge base</source>
        <translation>Пошук у базі знань</translation>
    </message>
    <message>
        <source>What is the customer asking about?</source>
        <translation>Про що питає клієнт?</translation>
    </message>
    <message>
        <source>All languages</source>
        <translation>Усі мови</translation>
    </message>
    <message>
        <source>Insert answer</source>
        <translation>Вставити відповідь</translation>
    </message>
    <message>
        <source>Put the article&apos;s text into your reply to edit it (Enter)</source>
        <translation>Вставити текст статті у відповідь для редагування (Enter)</translation>
    </message>
    <message>
        <source>Insert link</source>
        <translation>Вставити посилання</translation>
    </message>
    <message>
        <source>Put the article&apos;s title and the link to its public page into your reply</source>
        <translation>Вставити у відповідь назву статті та посилання на її публічну сторінку</translation>
    </message>
    <message>
        <source>New article…</source>
        <translation>Нова стаття…</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>Редагувати…</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>Шукаємо…</translation>
    </message>
    <message>
        <source>Type what the customer is asking about.</source>
        <translation>Введіть, про що питає клієнт.</translation>
    </message>
    <message>
        <source>Nothing found. Try other words or another language.</source>
        <translation>Нічого не знайдено. Спробуйте інші слова або іншу мову.</translation>
    </message>
    <message>
        <source>Enter or a click puts the answer into your reply; nothing is sent yet.</source>
        <translation>Enter або клацання вставляє відповідь у повідомлення; нічого не надсилається.</translation>
    </message>
</context>
<context>
    <name>KbSuggestions</name>
    <message>
        <source>Search… (Ctrl+K)</source>
        <translation>Пошук… (Ctrl+K)</translation>
    </message>
    <message>
        <source>Search the knowledge base (Ctrl+K)</source>
        <translation>Пошук у базі знань (Ctrl+K)</translation>
    </message>
    <message>
        <source>Suggested articles</source>
        <translation>Доречні статті</translation>
    </message>
    <message>
        <source>Suggested articles (%1)</source>
        <translation>Доречні статті (%1)</translation>
    </message>
    <message>
        <source>Show or hide the suggestions</source>
        <translation>Показати або сховати підказки</translation>
    </message>
    <message>
        <source>Click to put this answer into your reply; you can edit it before sending</source>
        <translation>Клацніть, щоб вставити відповідь у повідомлення; перед надсиланням її можна змінити</translation>
    </message>
    <message>
        <source>Insert link</source>
        <translation>Вставити посилання</translation>
    </message>
    <message>
        <source>Put the article&apos;s title and the link to its public page into your reply</source>
        <translation>Вставити у відповідь назву статті та посилання на її публічну сторінку</translation>
    </message>
    <message>
        <source>Articles that answer the customer&apos;s latest message appear here.</source>
        <translation>Тут з’являться статті, що відповідають на останнє повідомлення клієнта.</translation>
    </message>
    <message>
        <source>Looking for articles…</source>
        <translation>Шукаємо статті…</translation>
    </message>
    <message>
        <source>No article matches the customer&apos;s latest message. Try Search…</source>
        <translation>Немає статей до останнього повідомлення клієнта. Спробуйте «Пошук…»</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Frontline — sign in</source>
        <translation>Frontline — вхід</translation>
    </message>
    <message>
        <source>Sign in to your support hub</source>
        <translation>Вхід до хабу підтримки</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>Адреса хабу</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Ім&apos;я користувача</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Пароль</translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation>Запам&apos;ятати мене на цьому комп&apos;ютері</translation>
    </message>
    <message>
        <source>This computer has no password keyring, so Frontline cannot remember you: you stay signed in until you close the app.</source>
        <translation>На цьому комп&apos;ютері немає сховища паролів, тому Frontline не може вас запам&apos;ятати: вхід діє, доки застосунок відкритий.</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Увійти</translation>
    </message>
    <message>
        <source>Fill in the hub address, your user name and your password.</source>
        <translation>Вкажіть адресу хабу, ім&apos;я користувача та пароль.</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Вхід…</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторити</translation>
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
        <translation>Вам ще не призначено жодної розмови.

Поки ви в статусі «У мережі», нові чати призначаються вам автоматично; можна також узяти розмову з черги.</translation>
    </message>
    <message>
        <source>Nobody is waiting in the queue.</source>
        <translation>У черзі ніхто не чекає.</translation>
    </message>
    <message>
        <source>Team (%1)</source>
        <translation>Команда (%1)</translation>
    </message>
    <message>
        <source>Your team; %1 online now</source>
        <translation>Ваша команда; зараз у мережі: %1</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>У мережі</translation>
    </message>
    <message>
        <source>Away</source>
        <translation>Відійшов</translation>
    </message>
    <message>
        <source>Busy (in a call)</source>
        <translation>Зайнятий (дзвінок)</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Не в мережі</translation>
    </message>
    <message>
        <source>Only Online operators are offered new conversations</source>
        <translation>Нові розмови пропонуються лише операторам у мережі</translation>
    </message>
    <message>
        <source>The file could not be fetched: %1</source>
        <translation>Файл не вдалося отримати: %1</translation>
    </message>
    <message>
        <source>Menu</source>
        <translation>Меню</translation>
    </message>
    <message>
        <source>Find a customer…</source>
        <translation>Знайти клієнта…</translation>
    </message>
    <message>
        <source>Search customers by name, phone in any format, e-mail or a field such as a policy number (Ctrl+Shift+F)</source>
        <translation>Пошук клієнтів за ім&apos;ям, телефоном у будь-якому вигляді, поштою або полем, наприклад номером поліса (Ctrl+Shift+F)</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Вийти</translation>
    </message>
    <message>
        <source>Answer templates…</source>
        <translation>Шаблони відповідей…</translation>
    </message>
    <message>
        <source>Mine (%1)</source>
        <translation>Мої (%1)</translation>
    </message>
    <message>
        <source>Queue (%1)</source>
        <translation>Черга (%1)</translation>
    </message>
    <message>
        <source>(%1 of %2 chats)</source>
        <translation>(%1 з %2 чатів)</translation>
    </message>
    <message>
        <source>for %1</source>
        <translation>вже %1</translation>
    </message>
    <message>
        <source>Since %1</source>
        <translation>З %1</translation>
    </message>
    <message>
        <source>● Connected</source>
        <translation>● Підключено</translation>
    </message>
    <message>
        <source>● Not connected</source>
        <translation>● Немає підключення</translation>
    </message>
    <message>
        <source>● Offline since %1 · 1 message waiting</source>
        <translation>● Немає зв’язку з %1 · чекає на надсилання: 1</translation>
    </message>
    <message>
        <source>● Offline since %1 · %2 messages waiting</source>
        <translation>● Немає зв’язку з %1 · чекають на надсилання: %2</translation>
    </message>
    <message>
        <source>● Offline since %1, reconnecting…</source>
        <translation>● Немає зв&apos;язку з %1, перепідключення…</translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation>Збережено: %1</translation>
    </message>
    <message>
        <source>Open a conversation you can reply to, then insert the answer.</source>
        <translation>Відкрийте розмову, у якій ви можете відповідати, і вставте відповідь.</translation>
    </message>
    <message>
        <source>● Connecting…</source>
        <translation>● Підключення…</translation>
    </message>
    <message>
        <source>● Signed out</source>
        <translation>● Ви вийшли</translation>
    </message>
    <message>
        <source>You did not accept the chat with %1 in time, so it went to a colleague and your status is now Away. Choose Online to get new chats.</source>
        <translation>Ви не прийняли чат із %1 вчасно: він пішов колезі, а ваш статус тепер «Відійшов». Оберіть «У мережі», щоб отримувати нові чати.</translation>
    </message>
</context>
<context>
    <name>MergeDialog</name>
    <message>
        <source>same phone %1</source>
        <translation>той самий телефон %1</translation>
    </message>
    <message>
        <source>same e-mail %1</source>
        <translation>той самий e-mail %1</translation>
    </message>
    <message>
        <source>Merge customer cards</source>
        <translation>Об&apos;єднання карток клієнта</translation>
    </message>
    <message>
        <source>Is this one person? Merge the two cards into one.</source>
        <translation>Це одна людина? Об&apos;єднайте дві картки в одну.</translation>
    </message>
    <message>
        <source>The hub noticed: %1.</source>
        <translation>Хаб помітив: %1.</translation>
    </message>
    <message>
        <source>Keep this card</source>
        <translation>Залишити цю картку</translation>
    </message>
    <message>
        <source>The other card is merged into this one and hidden; it can be restored with Undo.</source>
        <translation>Інша картка увійде в цю й буде прихована; її можна повернути кнопкою «Скасувати».</translation>
    </message>
    <message>
        <source>Where they differ, the kept card takes</source>
        <translation>Де вони відрізняються, у залишеній картці буде</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Повне ім&apos;я</translation>
    </message>
    <message>
        <source>First name</source>
        <translation>Ім&apos;я</translation>
    </message>
    <message>
        <source>Last name</source>
        <translation>Прізвище</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Нотатки</translation>
    </message>
    <message>
        <source>Both: the kept card&apos;s notes, then the other&apos;s</source>
        <translation>Обидві: нотатки залишеної картки, потім іншої</translation>
    </message>
    <message>
        <source>VIP</source>
        <translation>VIP</translation>
    </message>
    <message>
        <source>Nothing differs: the kept card keeps its values and gains the other&apos;s.</source>
        <translation>Відмінностей немає: залишена картка збереже свої дані й отримає дані іншої.</translation>
    </message>
    <message>
        <source>Always united on the kept card</source>
        <translation>Завжди об&apos;єднується в залишеній картці</translation>
    </message>
    <message>
        <source>The other card is hidden, not deleted: the merge can be undone from the card.</source>
        <translation>Інша картка приховується, а не видаляється: об&apos;єднання можна скасувати з картки.</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>Об&apos;єднати</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Скасувати</translation>
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
        <translation>Розмов: %1+</translation>
    </message>
    <message>
        <source>1 conversation</source>
        <translation>1 розмова</translation>
    </message>
    <message numerus="yes">
        <source>%n conversations</source>
        <translation>
            <numerusform>%n розмова</numerusform>
            <numerusform>%n розмови</numerusform>
            <numerusform>%n розмов</numerusform>
        </translation>
    </message>
    <message>
        <source>First seen %1</source>
        <translation>Уперше: %1</translation>
    </message>
    <message>
        <source>Phones: %1</source>
        <translation>Телефони: %1</translation>
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
        <translation>Вебчат</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>Channels: %1</source>
        <translation>Канали: %1</translation>
    </message>
    <message>
        <source>Details only the other card has are added.</source>
        <translation>Дані, які є лише в іншій картці, додадуться.</translation>
    </message>
    <message>
        <source>More than %1 conversations will be on one card.</source>
        <translation>Понад %1 розмов будуть в одній картці.</translation>
    </message>
    <message>
        <source>1 conversation will be on one card.</source>
        <translation>1 розмова буде в одній картці.</translation>
    </message>
    <message numerus="yes">
        <source>%n conversations will be on one card.</source>
        <translation>
            <numerusform>%n розмова буде в одній картці.</numerusform>
            <numerusform>%n розмови будуть в одній картці.</numerusform>
            <numerusform>%n розмов будуть в одній картці.</numerusform>
        </translation>
    </message>
    <message>
        <source>The conversations of both will be on one card.</source>
        <translation>Розмови обох будуть в одній картці.</translation>
    </message>
    <message>
        <source>Merge into %1</source>
        <translation>Об&apos;єднати в %1</translation>
    </message>
    <message>
        <source>Merging…</source>
        <translation>Об&apos;єднання…</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>Not sent: the 24-hour window has closed — send a template</source>
        <translation>Не надіслано: вікно 24 годин закрилося — надішліть шаблон</translation>
    </message>
    <message>
        <source>Not sent — resend</source>
        <translation>Не надіслано — надіслати знову</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Надсилається…</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>Клієнт</translation>
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
        <translation>Нотатка (лише операторам)</translation>
    </message>
    <message>
        <source>Image not available</source>
        <translation>Зображення недоступне</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Завантаження…</translation>
    </message>
</context>
<context>
    <name>OfferBanner</name>
    <message>
        <source>Accept</source>
        <translation>Прийняти</translation>
    </message>
    <message>
        <source>Take this chat (Enter)</source>
        <translation>Взяти цей чат (Enter)</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>Відхилити</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Закрити</translation>
    </message>
    <message>
        <source>New chat for you: %1</source>
        <translation>Новий чат для вас: %1</translation>
    </message>
    <message>
        <source>%1 s to accept</source>
        <translation>%1 с, щоб прийняти</translation>
    </message>
</context>
<context>
    <name>SessionBridge</name>
    <message>
        <source>Cannot reach the hub at %1: %2</source>
        <translation>Не вдається зв&apos;язатися з хабом %1: %2</translation>
    </message>
    <message>
        <source>Wrong user name or password.</source>
        <translation>Неправильне ім&apos;я користувача або пароль.</translation>
    </message>
    <message>
        <source>The hub refused the login: %1</source>
        <translation>Хаб відхилив вхід: %1</translation>
    </message>
    <message>
        <source>The connection dropped during login. Try again.</source>
        <translation>З&apos;єднання обірвалося під час входу. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>The message was not sent</source>
        <translation>Повідомлення не надіслано</translation>
    </message>
    <message>
        <source>the hub could not be reached for 5 minutes</source>
        <translation>хаб був недоступний 5 хвилин</translation>
    </message>
    <message>
        <source>The note was not saved</source>
        <translation>Нотатку не збережено</translation>
    </message>
    <message>
        <source>Could not accept the chat</source>
        <translation>Не вдалося прийняти чат</translation>
    </message>
    <message>
        <source>Could not decline the chat</source>
        <translation>Не вдалося відхилити чат</translation>
    </message>
    <message>
        <source>Could not transfer the conversation</source>
        <translation>Не вдалося передати розмову</translation>
    </message>
    <message>
        <source>Could not change the conversation state</source>
        <translation>Не вдалося змінити стан розмови</translation>
    </message>
    <message>
        <source>Could not take the conversation</source>
        <translation>Не вдалося взяти розмову</translation>
    </message>
    <message>
        <source>Could not resolve the conversation</source>
        <translation>Не вдалося закрити розмову</translation>
    </message>
    <message>
        <source>Could not change your status</source>
        <translation>Не вдалося змінити статус</translation>
    </message>
    <message>
        <source>Could not load the conversation</source>
        <translation>Не вдалося завантажити розмову</translation>
    </message>
    <message>
        <source>Could not load earlier messages</source>
        <translation>Не вдалося завантажити попередні повідомлення</translation>
    </message>
    <message>
        <source>this is not a valid hub address (example: ws://hub.example.local:8765)</source>
        <translation>це неправильна адреса хабу (приклад: ws://hub.example.local:8765)</translation>
    </message>
    <message>
        <source>nothing answers on that address and port; is the hub running?</source>
        <translation>за цією адресою і портом ніхто не відповідає; хаб запущено?</translation>
    </message>
    <message>
        <source>no answer in time; check the network or the address</source>
        <translation>немає відповіді; перевірте мережу або адресу</translation>
    </message>
    <message>
        <source>the server there is not a Frontline hub</source>
        <translation>за цією адресою не хаб Frontline</translation>
    </message>
    <message>
        <source>the hub refused this client: %1</source>
        <translation>хаб відхилив цей клієнт: %1</translation>
    </message>
    <message>
        <source>network error: %1</source>
        <translation>помилка мережі: %1</translation>
    </message>
    <message>
        <source>%1: the connection to the hub is down.</source>
        <translation>%1: немає зв&apos;язку з хабом.</translation>
    </message>
    <message>
        <source>another operator has already taken it</source>
        <translation>її вже взяв інший оператор</translation>
    </message>
    <message>
        <source>this conversation belongs to another operator</source>
        <translation>цю розмову веде інший оператор</translation>
    </message>
    <message>
        <source>the conversation no longer exists</source>
        <translation>розмови більше немає</translation>
    </message>
    <message>
        <source>the message is empty</source>
        <translation>повідомлення порожнє</translation>
    </message>
    <message>
        <source>the message is too long (at most 8000 characters)</source>
        <translation>повідомлення задовге (не більше 8000 символів)</translation>
    </message>
</context>
<context>
    <name>TemplateBridge</name>
    <message>
        <source>Not saved: the connection to the hub is down. Try again when it is back.</source>
        <translation>Не збережено: немає з’єднання з хабом. Повторіть, коли його буде відновлено.</translation>
    </message>
    <message>
        <source>Not saved: the hub did not answer in time. Try again.</source>
        <translation>Не збережено: хаб не відповів вчасно. Спробуйте ще раз.</translation>
    </message>
    <message>
        <source>Only supervisors and admins can change team templates.</source>
        <translation>Змінювати шаблони команди можуть лише супервізори та адміністратори.</translation>
    </message>
    <message>
        <source>Not saved: this shortcode is already used. Choose another one.</source>
        <translation>Не збережено: це скорочення вже зайняте. Виберіть інше.</translation>
    </message>
    <message>
        <source>This template no longer exists.</source>
        <translation>Цього шаблону більше немає.</translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation>Не збережено: %1</translation>
    </message>
</context>
<context>
    <name>TemplatesDialog</name>
    <message>
        <source>Answer templates</source>
        <translation>Шаблони відповідей</translation>
    </message>
    <message>
        <source>Search by shortcode, title or text</source>
        <translation>Пошук за скороченням, назвою або текстом</translation>
    </message>
    <message>
        <source>New personal template</source>
        <translation>Новий особистий шаблон</translation>
    </message>
    <message>
        <source>Shortcode</source>
        <translation>Скорочення</translation>
    </message>
    <message>
        <source>e.g. refund, typed as /refund</source>
        <translation>наприклад, refund — набирається як /refund</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Назва</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Категорія</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Мова</translation>
    </message>
    <message>
        <source>Who sees it</source>
        <translation>Хто бачить</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Текст</translation>
    </message>
    <message>
        <source>Files sent with the template (images, PDF)</source>
        <translation>Файли, що надсилаються з шаблоном (зображення, PDF)</translation>
    </message>
    <message>
        <source>Add file…</source>
        <translation>Додати файл…</translation>
    </message>
    <message>
        <source>Inserting the template attaches these files to the reply</source>
        <translation>Під час вставлення шаблону ці файли прикріплюються до відповіді</translation>
    </message>
    <message>
        <source>Remove file</source>
        <translation>Прибрати файл</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Зберегти</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Видалити</translation>
    </message>
    <message>
        <source>Make a personal copy</source>
        <translation>Зробити особисту копію</translation>
    </message>
    <message>
        <source>Any language</source>
        <translation>Будь-яка мова</translation>
    </message>
    <message>
        <source>Only me (personal)</source>
        <translation>Лише я (особистий)</translation>
    </message>
    <message>
        <source>The whole team</source>
        <translation>Уся команда</translation>
    </message>
    <message>
        <source>Variables filled in from the conversation: %1. A fill-in prompt such as {?Policy number} asks you for the value when the template is inserted.</source>
        <translation>Змінні, що підставляються з розмови: %1. Запит на кшталт {?Номер поліса} запитає значення під час вставлення шаблону.</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Закрити</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>Без категорії</translation>
    </message>
    <message>
        <source>team</source>
        <translation>команда</translation>
    </message>
    <message>
        <source>personal</source>
        <translation>особистий</translation>
    </message>
    <message>
        <source>This is a team template: everyone can use it, only supervisors and admins can change it. Make a personal copy if you need another wording.</source>
        <translation>Це шаблон команди: користуватися ним можуть усі, а змінювати — лише супервізори та адміністратори. Якщо потрібне інше формулювання, зробіть особисту копію.</translation>
    </message>
    <message>
        <source>Last changed %1 by %2</source>
        <translation>Змінено %1, автор: %2</translation>
    </message>
    <message>
        <source>Last changed %1</source>
        <translation>Змінено %1</translation>
    </message>
    <message>
        <source>%1 · uploading…</source>
        <translation>%1 · завантаження…</translation>
    </message>
    <message>
        <source>Add files to the template</source>
        <translation>Додати файли до шаблону</translation>
    </message>
    <message>
        <source>Images and PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;All files (*)</source>
        <translation>Зображення та PDF (*.png *.jpg *.jpeg *.gif *.webp *.pdf);;Усі файли (*)</translation>
    </message>
    <message>
        <source>%1 was not added: %2</source>
        <translation>%1 не додано: %2</translation>
    </message>
    <message>
        <source>Wait until the files are uploaded, then save.</source>
        <translation>Зачекайте, поки файли завантажаться, потім збережіть.</translation>
    </message>
    <message>
        <source>Delete template</source>
        <translation>Видалення шаблону</translation>
    </message>
    <message>
        <source>Delete the template /%1 “%2”?</source>
        <translation>Видалити шаблон /%1 «%2»?</translation>
    </message>
</context>
<context>
    <name>TransferDialog</name>
    <message>
        <source>Transfer %1</source>
        <translation>Передати: %1</translation>
    </message>
    <message>
        <source>Transfer to</source>
        <translation>Кому передати</translation>
    </message>
    <message>
        <source>online</source>
        <translation>у мережі</translation>
    </message>
    <message>
        <source>away</source>
        <translation>відійшов</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>зайнятий</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>не в мережі</translation>
    </message>
    <message>
        <source>first line</source>
        <translation>перша лінія</translation>
    </message>
    <message>
        <source>line</source>
        <translation>лінія</translation>
    </message>
    <message>
        <source>Internal note (the customer never sees it)</source>
        <translation>Внутрішня нотатка (клієнт її не побачить)</translation>
    </message>
    <message>
        <source>What has been done, what is left — so nobody asks the customer again</source>
        <translation>Що зроблено і що лишилося — щоб клієнта не розпитували знову</translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation>Передати</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <source>There is nobody to transfer to.</source>
        <translation>Передати нікому.</translation>
    </message>
    <message>
        <source>The note is too long.</source>
        <translation>Нотатка задовга.</translation>
    </message>
</context>
<context>
    <name>WaTemplateBridge</name>
    <message>
        <source>Not sent: the connection to the hub is down. Try again when it is back.</source>
        <translation>Не надіслано: немає зв’язку з хабом. Спробуйте знову, коли зв’язок повернеться.</translation>
    </message>
    <message>
        <source>The templates could not be read: the connection to the hub is down.</source>
        <translation>Не вдалося отримати шаблони: немає зв’язку з хабом.</translation>
    </message>
    <message>
        <source>The hub did not answer in time. Try again.</source>
        <translation>Хаб не відповів вчасно. Спробуйте знову.</translation>
    </message>
    <message>
        <source>Not sent: %1</source>
        <translation>Не надіслано: %1</translation>
    </message>
    <message>
        <source>WhatsApp is not working on the hub right now (not set up, or down). Tell your administrator.</source>
        <translation>WhatsApp зараз не працює на хабі (не налаштований або недоступний). Повідомте адміністратора.</translation>
    </message>
    <message>
        <source>The 24-hour window has closed: WhatsApp only delivers approved templates</source>
        <translation>Вікно 24 годин закрилося: WhatsApp доставляє лише схвалені шаблони</translation>
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
        <translation>WhatsApp доставляє вільний текст лише клієнту, який писав за останні 24 години; інакше — лише схвалені шаблони. Виберіть шаблон, заповніть значення й надішліть його, щоб почати розмову.</translation>
    </message>
    <message>
        <source>The 24-hour window has closed: WhatsApp only delivers approved templates. Choose one, fill in its values and send it; when the customer answers, you can write freely again.</source>
        <translation>Вікно 24 годин закрилося: WhatsApp доставляє лише схвалені шаблони. Виберіть шаблон, заповніть значення й надішліть; коли клієнт відповість, можна знову писати вільно.</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Оновити</translation>
    </message>
    <message>
        <source>Fetch the approved templates from WhatsApp again</source>
        <translation>Знову отримати схвалені шаблони з WhatsApp</translation>
    </message>
    <message>
        <source>What the customer will read</source>
        <translation>Що прочитає клієнт</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Скасувати</translation>
    </message>
    <message>
        <source>Sending…</source>
        <translation>Надсилання…</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Надіслати</translation>
    </message>
    <message>
        <source>utility</source>
        <translation>сервісний</translation>
    </message>
    <message>
        <source>marketing</source>
        <translation>маркетинг</translation>
    </message>
    <message>
        <source>authentication</source>
        <translation>автентифікація</translation>
    </message>
    <message>
        <source>Reading the templates…</source>
        <translation>Отримання шаблонів…</translation>
    </message>
    <message>
        <source>WhatsApp could not be reached just now; this is the list from %1.</source>
        <translation>Зараз не вдалося зв’язатися з WhatsApp; це список від %1.</translation>
    </message>
    <message>
        <source>WhatsApp could not be reached: %1</source>
        <translation>Не вдалося зв’язатися з WhatsApp: %1</translation>
    </message>
    <message>
        <source>Approved templates as of %1</source>
        <translation>Схвалені шаблони станом на %1</translation>
    </message>
    <message>
        <source>The templates have not been fetched yet.</source>
        <translation>Шаблони ще не отримано.</translation>
    </message>
    <message>
        <source>No approved templates</source>
        <translation>Немає схвалених шаблонів</translation>
    </message>
    <message>
        <source>Choose a template</source>
        <translation>Виберіть шаблон</translation>
    </message>
    <message>
        <source>Templates are made and approved in Meta&apos;s WhatsApp Manager; ask your administrator.</source>
        <translation>Шаблони створюються й схвалюються у WhatsApp Manager від Meta; зверніться до адміністратора.</translation>
    </message>
    <message>
        <source>Choose a template.</source>
        <translation>Виберіть шаблон.</translation>
    </message>
    <message>
        <source>Fill in %1.</source>
        <translation>Заповніть %1.</translation>
    </message>
    <message>
        <source>WhatsApp does not take line breaks, tabs or more than four spaces in a row in a value, nor a text longer than 1024 characters.</source>
        <translation>WhatsApp не приймає у значеннях переноси рядків, табуляцію та понад чотири пробіли поспіль, а також текст, довший за 1024 символи.</translation>
    </message>
</context>
<context>
    <name>WaTemplateFlow</name>
    <message>
        <source>Template sent.</source>
        <translation>Шаблон надіслано.</translation>
    </message>
</context>
</TS>
