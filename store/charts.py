"""Chart geometry computed on the server, so pages draw charts as plain SVG."""

from __future__ import annotations

CHART_W, CHART_H, CHART_PAD = 300, 80, 12


def runs_chart(series: list[dict]) -> dict:
    """Bar geometry for a server-rendered SVG: attributes only (CSP forbids inline styles)."""
    peak = max((d["count"] for d in series), default=0)
    step = CHART_W / max(len(series), 1)
    bars = []
    for i, d in enumerate(series):
        h = 0.0 if not peak else (CHART_H - CHART_PAD) * d["count"] / peak
        h = max(h, 1.0 if d["count"] else 0.0)
        bars.append(
            {
                # Formatted here: SVG attributes must not follow the page's number locale.
                "x": f"{i * step + 1:.2f}",
                "y": f"{CHART_H - h:.2f}",
                "w": f"{max(step - 2, 1):.2f}",
                "h": f"{h:.2f}",
                "day": d["day"],
                "count": d["count"],
            }
        )
    return {"bars": bars, "peak": peak, "width": CHART_W, "height": CHART_H}
