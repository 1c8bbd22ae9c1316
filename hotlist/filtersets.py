"""FilterSets for hotlists and alerts: one per model, serving both the HTML list and the API."""
