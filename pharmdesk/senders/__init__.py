"""Ways a reminder leaves the pharmacy, each behind one small interface (``base.Sender``):
a GSM modem on a serial port, a bulk-SMS provider's HTTP gateway, WhatsApp from the desk
phone (a link and QR code; staff mark it sent), or a CSV file for a provider's upload page.
No database here: the outbox (controllers/reminders) decides what to send and records it."""
