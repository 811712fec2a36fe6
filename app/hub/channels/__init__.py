"""Channel adapters (Telegram, WhatsApp, e-mail) behind one interface
(:mod:`app.hub.channels.base`), run by :class:`app.hub.channels.manager.ChannelManager`."""
