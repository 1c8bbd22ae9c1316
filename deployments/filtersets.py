"""FilterSets for camera-site governance: one per model, serving both the HTML list and the API."""
