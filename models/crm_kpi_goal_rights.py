# Copyright 2026 crm_kpi contributors
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Who may own and edit a SMART goal: the owner checks of what KPI Users
create and write (``create`` and ``write`` in ``crm_kpi_goal.py`` set
OWNER_CHECK_KEY), the parent goal its owner must be able to read, and the
fields only KPI Managers set."""

from odoo import api, models
from odoo.exceptions import AccessError, ValidationError

from .crm_kpi_goal import OWNER_CHECK_KEY


class CrmKpiGoalRights(models.Model):
    _inherit = "crm.kpi.goal"  # pylint: disable=consider-merging-classes-inherited

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------
    @api.constrains("scope", "company_id", "team_id", "user_id", "responsible_id")
    def _check_owner_rights(self):
        """A KPI User owns only their own salesperson goals (as salesperson
        and responsible) and the goals of the sales teams they lead; a KPI
        Manager any goal. Checked on what a KPI User creates or writes
        (``create`` and ``write`` set OWNER_CHECK_KEY), before the record
        rules, which say the same but not why."""
        if not self.env.context.get(OWNER_CHECK_KEY):
            return
        user = self.env.user
        expected = {"company": (False, False), "team": (True, False), "user": (False, True)}
        for goal in self:
            if (bool(goal.team_id), bool(goal.user_id)) != expected[goal.scope]:
                continue  # _check_scope explains it
            if goal.scope == "user" and goal.user_id == user and goal.responsible_id == user:
                continue
            if goal.scope == "team" and goal.team_id.user_id == user:
                continue
            raise AccessError(
                self.env._(
                    "Goal %(goal)s: you can only create and edit your own salesperson goals "
                    "(with you as salesperson and responsible) and the goals of the sales "
                    "teams you lead. Company goals, and goals for other salespeople or "
                    "teams, are set by KPI Managers.",
                    goal=goal.name,
                )
            )

    @api.constrains("parent_id", "scope", "team_id", "user_id", "responsible_id")
    def _check_parent_access(self):
        """The goal's owner (see ``_goal_owner``) must be able to read the
        goal it contributes to. Named to run before ``_check_parent_id``,
        which reads the parent."""
        for goal in self.filtered("parent_id"):
            owner = goal._goal_owner()
            parent = goal.parent_id.with_user(owner).with_context(
                allowed_company_ids=owner.company_ids.ids
            )
            if not parent.has_access("read"):
                raise ValidationError(
                    self.env._(
                        "Goal %(goal)s cannot contribute to the goal chosen: %(owner)s, "
                        "whose goal it is, cannot read that goal.",
                        goal=goal.name,
                        owner=owner.name,
                    )
                )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------
    def _is_kpi_manager(self):
        """Whether the current user may edit any goal and its status: KPI
        Managers, and superuser mode (crons, ``sudo()``)."""
        return self.env.su or self.env.user.has_group("crm_kpi.crm_kpi_group_manager")

    @api.model
    def _get_manager_only_fields(self):
        """Fields only KPI Managers (and superuser mode) write: the status
        and the values computed by the add-on. Intended to be inherited."""
        computed = {
            fname
            for fname, field in self._fields.items()
            if field.compute and field.readonly and "crm_kpi" in field._modules
        }
        return computed | {"status", "last_notified_status"}

    @api.model
    def _check_manager_only_fields(self, vals):
        forbidden = sorted(set(vals) & self._get_manager_only_fields())
        if forbidden:
            labels = ", ".join(
                self._fields[fname].get_description(self.env)["string"] for fname in forbidden
            )
            raise AccessError(
                self.env._(
                    "Only KPI Managers can set %(fields)s of a goal: the status is set "
                    "by starting the goal and by its evaluation.",
                    fields=labels,
                )
            )

    def _value_differs(self, fname, value):
        """Whether writing ``value`` (as in ``write``) would change ``fname``."""
        self.ensure_one()
        field = self._fields[fname]
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[fname]

    def _goal_owner(self):
        """The user whose goal it is: the salesperson of a salesperson goal,
        the leader of a team goal (else its responsible), the responsible
        of a company goal."""
        self.ensure_one()
        if self.scope == "user" and self.user_id:
            return self.user_id
        if self.scope == "team" and self.team_id.user_id:
            return self.team_id.user_id
        return self.responsible_id
