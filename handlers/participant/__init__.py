"""What every participant can do: /start and consent, /language, /help, data rights, updates."""
