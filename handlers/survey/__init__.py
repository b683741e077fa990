"""Taking a survey: /surveys, answers by button or message, review and submit."""
