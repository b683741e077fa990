"""Moderators in Telegram: roles, surveys, results, announcements and report triage."""
