"""Refill reminders: templates, SMS length, the outbox, replies, and the send loop."""
