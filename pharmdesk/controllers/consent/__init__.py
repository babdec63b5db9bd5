"""Consent per purpose and channel, with its history, proof and the STOP list."""
