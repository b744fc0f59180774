"""The FastAPI application: the one public door (web chat, WeChat, staff tool, API)."""
