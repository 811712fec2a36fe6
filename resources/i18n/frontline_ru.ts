<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>ConversationPane</name>
    <message>
        <source>Select a conversation on the left.

New customer chats appear there as they arrive; the ones assigned to you are under “Mine”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Take</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Assign this conversation to yourself</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark the customer&apos;s question as answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type your reply…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>waiting in the queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>resolved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Web chat · %1 · #%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This customer is waiting in the queue. Take the conversation or just reply: replying takes it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another operator is handling this conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Too long: %1 of at most %2 characters.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ctrl+Enter sends · Enter starts a new line</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CustomerCard</name>
    <message>
        <source>CUSTOMER</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Channel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>First seen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The customer&apos;s details appear here when you open a conversation.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Web chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>#%1, started %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Inbox</name>
    <message>
        <source>Web chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Frontline — sign in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in to your support hub</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remember me on this computer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This computer has no password keyring, so Frontline cannot remember you: you stay signed in until you close the app.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill in the hub address, your user name and your password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Frontline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No conversations assigned to you.

While you are Online, new chats are given to you automatically; you can also take one from the Queue.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody is waiting in the queue.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Online</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Away</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only Online operators receive new conversations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Menu</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mine (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queue (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Not connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Offline since %1, reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● Signed out</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>Customer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Operator</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SessionBridge</name>
    <message>
        <source>Cannot reach the hub at %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wrong user name or password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The hub refused the login: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The connection dropped during login. Try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The message was not sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not take the conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not resolve the conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not change your status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load the conversation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: the connection to the hub is down.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>another operator has already taken it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this conversation belongs to another operator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the conversation no longer exists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the message is empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the message is too long (at most 8000 characters)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
