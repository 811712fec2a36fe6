"""Pure rules of the contact center: routing, text, tokens, passwords. No I/O here."""
