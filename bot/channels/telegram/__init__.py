"""What both Telegram drivers (aiogram, python-telegram-bot) share: no library object here."""
