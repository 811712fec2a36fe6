"""Channel adapters (Telegram; WhatsApp and e-mail to come) behind one interface
(:mod:`app.hub.channels.base`), run by :class:`app.hub.channels.manager.ChannelManager`."""
