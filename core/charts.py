"""Small server-drawn charts (SVG in the templates, no script)."""

from datetime import date


def day_bars(per_day: list[tuple[date, int]]) -> dict:
    """Bars of counts per day for an SVG 40 units high, 3 units a day (days without a count
    leave a gap)."""
    if not per_day:
        return {"bars": [], "width": 3}
    start, busiest = per_day[0][0], max(count for _, count in per_day) or 1
    bars = []
    for day, count in per_day:
        height = max(1, round(40 * count / busiest))
        bars.append({"x": 3 * (day - start).days, "y": 40 - height, "height": height,
                     "day": day, "count": count})  # fmt: skip
    return {"bars": bars, "width": 3 * ((per_day[-1][0] - start).days + 1)}
