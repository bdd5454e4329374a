"""The small languages of descriptions: templates, record selectors, date-times and lag."""
