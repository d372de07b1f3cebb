"""HTML reports that open offline (Plotly embedded), shared by every part."""

from moviemotion.report.html import Section, figure_html, table_html, write_html_report

__all__ = ["Section", "figure_html", "table_html", "write_html_report"]
