"""The request journal and the integration report (docs/control-surface.md, "Request journal and integration
report")."""

from simulator.journal.entries import DEFAULT_SIZE, Entry, Journal
from simulator.journal.html import render_report
from simulator.journal.match import Matcher, status_ok
from simulator.journal.record import JOURNAL, REPORT_SETTINGS, install_journal
from simulator.journal.report import Finding, grade
from simulator.journal.settings import ReportSettings, parse_report_settings

__all__ = ["DEFAULT_SIZE", "JOURNAL", "REPORT_SETTINGS", "Entry", "Finding", "Journal", "Matcher", "ReportSettings",
           "grade", "install_journal", "parse_report_settings", "render_report", "status_ok"]
