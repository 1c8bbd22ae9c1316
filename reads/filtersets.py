"""FilterSets for the read store: one per model, serving both the HTML list and the API."""
