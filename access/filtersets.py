"""FilterSets for access control: one per model, serving both the HTML list and the API."""
