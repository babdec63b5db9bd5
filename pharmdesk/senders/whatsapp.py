"""WhatsApp from the desk phone: a ``wa.me`` link that opens the chat with the message
filled in, shown as a QR code for the desk phone's camera. Staff press send on the phone
and then mark the message sent in PharmDesk; nothing is sent from the PC."""

from __future__ import annotations

import io
from urllib.parse import quote


def chat_link(phone: str, text: str) -> str:
    """``https://wa.me/<digits>?text=...``: the number without "+" as wa.me asks."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(text, safe='')}"


def qr_png(link: str, scale: int = 6) -> bytes:
    """The link as a QR code PNG (error correction M: readable off a laptop screen)."""
    # Imported here: only the WhatsApp dialog draws a QR code (start-up stays short).
    import segno

    code = segno.make(link, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=3)
    return out.getvalue()
