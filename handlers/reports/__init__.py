"""Anonymous concerns: /report (the draft) and /status (the reporter's way back)."""
