# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Data of the KPI leaderboard, read from the snapshots only.

One KPI, one period and one scope: the company's sales teams, or the
salespeople of one team, ranked by ``engine/leaderboard.py`` in the KPI's
direction (ratio KPIs below the company's minimum denominator are shown but
not ranked; rows without value come last). Every number comes with its
text from the one table of units, through the board of
``crm.kpi.snapshot._kpi_board_of`` (value, Δ against the previous period);
the web client formats nothing.

Visibility (company setting ``kpi_leaderboard_visibility``, as gamification's
challenges): *ranking*, the members of a team see the team's leaderboard;
*personal*, a salesperson sees only their own row and rank. KPI Managers
and, for their team, team leaders always see the whole board. In personal
mode the rank is computed over every row, reading the snapshots as
superuser (for the ranking only: no other row leaves the server); otherwise
the snapshots are read with the user's rights.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain

from ..engine.leaderboard import BELOW_MINIMUM, Entry, rank
from ..engine.metrics import KpiValue
from ..engine.periods import PERIOD_TYPES, period_of
from .crm_kpi_snapshot import BOARD_FIELDS

RUNNING_STATUSES = ("on_track", "at_risk", "off_track")
GOAL_COLORS = {"on_track": "info", "at_risk": "warning", "off_track": "danger"}
# The KPI shown first when none is chosen.
DEFAULT_KPI = "win_rate"


class CrmKpiLeaderboard(models.AbstractModel):
    _name = "crm.kpi.leaderboard"
    _description = "CRM KPI Leaderboard"

    @api.readonly
    @api.model
    def get_leaderboard_data(self, kpi_id=False, period_type="month", date=None, team_id=False):
        """The leaderboard of ``kpi_id`` (default: the win rate, else the
        first KPI of the scope) for the period of ``period_type`` containing
        ``date`` (default today): the teams of the current company, or the
        salespeople of ``team_id``."""
        if period_type not in PERIOD_TYPES:
            raise UserError(self.env._("Unknown period type %(type)s.", type=period_type))
        day = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        period = period_of(period_type, day)
        company = self.env.company
        team = self._leaderboard_team(team_id)
        dimension = "user" if team else "team"
        definitions = self._leaderboard_definitions(dimension)
        definition = self._leaderboard_definition(definitions, kpi_id)
        full = self._leaderboard_sees_all(team)
        # personal mode: rank over everyone as superuser, return only one's own rows
        reader = self if full else self.sudo()
        competitors = reader._leaderboard_competitors(team)
        mine = self._leaderboard_own_keys(team)
        shown = set(competitors) if full else mine
        Snapshot = self.env["crm.kpi.snapshot"]
        rows, ranked_count = [], 0
        if definition:
            snapshots = reader._leaderboard_snapshots(definition, period, dimension, competitors)
            competitors = self._leaderboard_drop_idle(competitors, snapshots, period, team)
            board = rank(
                [
                    Entry(key, name, self._leaderboard_value(snapshots.get((key, period))))
                    for key, name in competitors.items()
                ],
                definition.direction,
                is_ratio=definition.aggregation == "ratio",
                min_denominator=self._leaderboard_min_denominator(company),
            )
            ranked_count = board.ranked_count
            goals = self._leaderboard_goals(definition, period, dimension, shown)
            formatter = Snapshot._kpi_formatter(company)
            rows = [
                self._leaderboard_row(
                    definition,
                    period,
                    ranked,
                    snapshots,
                    goals,
                    formatter,
                    is_me=ranked.key in mine,
                )
                for ranked in board.rows
                if ranked.key in shown
            ]
        return {
            "period": {
                "type": period_type,
                "title": Snapshot._kpi_period_label(period),
                "previous_title": Snapshot._kpi_period_label(period.previous()),
                "date_start": fields.Date.to_string(period.date_start),
            },
            "kpi": {
                "id": definition.id,
                "name": definition.name,
                "description": definition.description or "",
                "direction": definition.direction,
                "is_ratio": definition.aggregation == "ratio",
            }
            if definition
            else False,
            "kpis": [{"id": d.id, "name": d.name} for d in definitions],
            "teams": [{"id": t.id, "name": t.name} for t in self._leaderboard_teams()],
            "team_id": team.id if team else False,
            "dimension": dimension,
            "visibility": self._leaderboard_visibility(company),
            "personal": not full,
            "min_denominator": self._leaderboard_min_denominator(company),
            "ranked_count": ranked_count,
            "rows": rows,
        }

    # ------------------------------------------------------------------
    # Scope and visibility
    # ------------------------------------------------------------------
    @api.model
    def _leaderboard_visibility(self, company):
        return company._kpi_setting("kpi_leaderboard_visibility")

    @api.model
    def _leaderboard_min_denominator(self, company):
        return max(company.kpi_leaderboard_min_denominator or 0, 0)

    @api.model
    def _is_kpi_manager(self):
        return self.env.su or self.env.user.has_group("crm_kpi.crm_kpi_group_manager")

    @api.model
    def _leaderboard_my_teams(self):
        """The teams of the current company the user is a member or the leader of."""
        user = self.env.user
        return self.env["crm.team"].search(
            Domain.AND(
                [
                    self._leaderboard_team_domain(),
                    Domain("member_ids", "in", user.ids) | Domain("user_id", "=", user.id),
                ]
            )
        )

    @api.model
    def _leaderboard_team_domain(self):
        return [("company_id", "in", [False, self.env.company.id])]

    @api.model
    def _leaderboard_teams(self):
        """The teams whose salespeople the user may rank: every team for a
        KPI Manager, else their own teams."""
        if self._is_kpi_manager():
            return self.env["crm.team"].search(self._leaderboard_team_domain())
        return self._leaderboard_my_teams()

    @api.model
    def _leaderboard_team(self, team_id):
        """The team whose salespeople are ranked (None: the company's teams
        are); a KPI User may open only the teams they belong to or lead."""
        if not team_id:
            return None
        if not isinstance(team_id, int) or isinstance(team_id, bool):
            raise UserError(self.env._("%(value)s is not a sales team.", value=repr(team_id)))
        team = self.env["crm.team"].browse(team_id).exists()
        if not team or team.company_id and team.company_id != self.env.company:
            raise UserError(self.env._("This sales team is not one of the current company."))
        if team not in self._leaderboard_teams():
            raise AccessError(
                self.env._("You can only see the leaderboard of the sales teams you belong to.")
            )
        return team

    @api.model
    def _leaderboard_sees_all(self, team):
        """Whether the user sees every row: in ranking mode, or as a KPI
        Manager, or, for the salespeople of a team, as its leader."""
        if self._is_kpi_manager() or self._leaderboard_visibility(self.env.company) == "ranking":
            return True
        return bool(team and team.user_id == self.env.user)

    @api.model
    def _leaderboard_own_keys(self, team):
        """The user's own rows: their row among the salespeople of a team, or
        the rows of their teams (all a salesperson sees in personal mode)."""
        if team:
            return {self.env.user.id}
        return set(self._leaderboard_my_teams().ids)

    @api.model
    def _leaderboard_competitors(self, team):
        """{id: name} of the rows ranked: the team's members (salespeople),
        else the company's teams; intended to be inherited."""
        if team:
            users = team.member_ids.filtered(lambda u: not u.share)
            return {user.id: user.name for user in users.sorted("name")}
        teams = self.env["crm.team"].search(self._leaderboard_team_domain())
        return {team.id: team.name for team in teams}

    @api.model
    def _leaderboard_drop_idle(self, competitors, snapshots, period, team):
        """Without the teams shared by every company (no company, such as
        Odoo's "Sales") that have no row of this company in the period."""
        if team:
            return competitors
        shared = set(
            self.env["crm.team"]
            .sudo()
            .browse(list(competitors))
            .filtered(lambda t: not t.company_id)
            .ids
        )
        return {
            key: name
            for key, name in competitors.items()
            if key not in shared or (key, period) in snapshots
        }

    @api.model
    def _leaderboard_definitions(self, dimension):
        """The KPIs that can be ranked by ``dimension`` ("team" or "user")."""
        # all of them on purpose (the catalog: a few dozen KPIs)
        definitions = self.env["crm.kpi.definition"].search([]).filtered("is_available")  # pylint: disable=no-search-all
        return definitions.filtered("allow_team" if dimension == "team" else "allow_user")

    @api.model
    def _leaderboard_definition(self, definitions, kpi_id):
        """The KPI ``kpi_id`` when it can be ranked in the scope, else the
        default one (the win rate, else the first): switching from teams to
        salespeople keeps the KPI when it can."""
        if kpi_id and (not isinstance(kpi_id, int) or isinstance(kpi_id, bool)):
            raise UserError(self.env._("%(value)s is not a KPI.", value=repr(kpi_id)))
        return (
            definitions.filtered(lambda d: d.id == kpi_id)
            or definitions.filtered(lambda d: d.code == DEFAULT_KPI)[:1]
            or definitions[:1]
        )

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------
    @api.model
    def _leaderboard_snapshots(self, definition, period, dimension, competitors):
        """{(id, period): snapshot} of the period and the previous one, in one
        search (the company condition is explicit: it holds as superuser too)."""
        fname = "team_id" if dimension == "team" else "user_id"
        previous = period.previous()
        snapshots = self.env["crm.kpi.snapshot"].search_fetch(
            [
                ("company_id", "=", self.env.company.id),
                ("kpi_id", "=", definition.id),
                ("period_type", "=", period.period_type),
                ("date_start", "in", [previous.date_start, period.date_start]),
                ("dimension", "=", dimension),
                (fname, "in", list(competitors)),
            ],
            [*BOARD_FIELDS, fname],
        )
        periods = {previous.date_start: previous, period.date_start: period}
        return {(s[fname].id, periods[s.date_start]): s for s in snapshots}

    @staticmethod
    def _leaderboard_value(snapshot):
        if not snapshot:
            return None
        return KpiValue(
            snapshot.numerator, snapshot.denominator, snapshot.value if snapshot.has_value else None
        )

    @api.model
    def _leaderboard_goals(self, definition, period, dimension, keys):
        """{id: goal} of the running goals on the KPI for the rows ``keys``
        whose window meets the period, read with the user's rights (the first
        by deadline)."""
        fname = "team_id" if dimension == "team" else "user_id"
        goals = self.env["crm.kpi.goal"].search(
            [
                ("company_id", "=", self.env.company.id),
                ("kpi_id", "=", definition.id),
                ("scope", "=", dimension),
                (fname, "in", list(keys)),
                ("status", "in", list(RUNNING_STATUSES)),
                ("date_start", "<", period.date_end),
                ("deadline", ">=", period.date_start),
            ],
            order="deadline, id",
        )
        found = {}
        for goal in goals:
            found.setdefault(goal[fname].id, goal)
        return found

    @api.model
    def _leaderboard_row(
        self, definition, period, ranked, snapshots, goals, formatter, is_me=False
    ):
        """One row: rank, name, value, "12 of 30", Δ against the previous
        period and the running goal, each number with its text."""
        found = (snapshots.get((ranked.key, p)) for p in (period.previous(), period))
        stored = [snapshot for snapshot in found if snapshot]
        Snapshot = self.env["crm.kpi.snapshot"]
        records = stored[0].browse([s.id for s in stored]) if stored else Snapshot.browse()
        board = Snapshot._kpi_board_of(
            definition,
            [period],
            records,
            self.env.company,
            comparisons=("previous",),
            local_labels=False,
        )
        cell = board.cell(definition.code, board.column("period"))
        delta = board.cell(definition.code, board.column("delta", "previous"))
        snapshot = snapshots.get((ranked.key, period))
        goal = goals.get(ranked.key)
        statuses = dict(self.env["crm.kpi.goal"]._fields["status"]._description_selection(self.env))
        return {
            "key": ranked.key,
            "name": ranked.entry.name,
            "rank": ranked.rank,
            "status": ranked.status,
            "value": cell.number,
            "value_text": cell.text,
            "fraction_text": self.env["crm.kpi.dashboard"]._fraction_text(
                definition, snapshot, formatter
            ),
            "note": self._leaderboard_note(definition, ranked, snapshot, formatter),
            "delta": None
            if delta.number is None
            else {
                "text": delta.text,
                "state": delta.state,
            },
            "goal": goal
            and {
                "id": goal.id,
                "name": goal.name,
                "progress": goal.progress,
                "progress_text": formatter.text(goal.progress, "percent"),
                "status_label": statuses[goal.status],
                "color": GOAL_COLORS[goal.status],
            },
            "is_me": is_me,
        }

    @api.model
    def _leaderboard_note(self, definition, ranked, snapshot, formatter):
        """Why a row has no rank."""
        if ranked.status == BELOW_MINIMUM:
            minimum = self._leaderboard_min_denominator(self.env.company)
            return self.env._(
                "Not ranked: fewer than %(minimum)s to divide by.",
                minimum=formatter.text(minimum, "count"),
            )
        if ranked.rank is None:
            if not snapshot:
                return self.env._("No value in this period.")
            if snapshot.failure:
                return snapshot.failure
            return self.env["crm.kpi.engine"]._empty_reason_of(definition)
        return ""
