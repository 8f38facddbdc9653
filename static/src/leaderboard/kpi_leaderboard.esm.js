/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {Component, onWillStart, useState} from "@odoo/owl";
import {
    PERIOD_TYPES,
    deltaClass,
    initialDate,
    shiftDate,
} from "@crm_kpi/dashboard/kpi_periods.esm";
import {registry} from "@web/core/registry";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";
import {useService} from "@web/core/utils/hooks";
import {useSetupAction} from "@web/search/action_hook";

/**
 * The KPI leaderboard: the teams of the company, or the salespeople of one
 * team, ranked on one KPI for one period by crm.kpi.leaderboard (read from
 * the snapshots, ranked and formatted on the server: nothing is computed or
 * formatted here). In personal mode the server sends only the user's rows.
 */
export class KpiLeaderboard extends Component {
    static template = "crm_kpi.KpiLeaderboard";
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.periodTypes = PERIOD_TYPES;
        // As the dashboard: the breadcrumb restores what the user chose; a
        // first opening reads kpi_id, kpi_period_type, kpi_date (a date or
        // "last_complete") and kpi_team_id from the action's context.
        const restored = this.props.state || {};
        const context = this.props.action.context || {};
        const periodType = restored.periodType || context.kpi_period_type || "month";
        this.state = useState({
            kpiId: restored.kpiId ?? (context.kpi_id || 0),
            periodType,
            date: restored.date || initialDate(periodType, context.kpi_date),
            teamId: restored.teamId ?? (context.kpi_team_id || 0),
            data: null,
        });
        useSetupAction({
            getLocalState: () => ({
                kpiId: this.state.kpiId,
                periodType: this.state.periodType,
                date: this.state.date,
                teamId: this.state.teamId,
            }),
        });
        onWillStart(async () => {
            try {
                await this.load();
            } catch (error) {
                // A team chosen on the dashboard whose salespeople the user
                // may not rank: the teams instead
                if (!this.state.teamId) {
                    throw error;
                }
                this.state.teamId = 0;
                await this.load();
            }
        });
    }

    async load() {
        const data = await this.orm.call(
            "crm.kpi.leaderboard",
            "get_leaderboard_data",
            [],
            {
                kpi_id: this.state.kpiId || false,
                period_type: this.state.periodType,
                date: this.state.date,
                team_id: this.state.teamId || false,
            }
        );
        this.state.kpiId = data.kpi ? data.kpi.id : 0;
        this.state.data = data;
    }

    onKpi(ev) {
        this.state.kpiId = parseInt(ev.target.value, 10);
        this.load();
    }

    onPeriodType(ev) {
        this.state.periodType = ev.target.value;
        this.load();
    }

    onDate(ev) {
        if (ev.target.value) {
            this.state.date = ev.target.value;
            this.load();
        }
    }

    onTeam(ev) {
        // A KPI that cannot be split by salesperson (or team) falls back to
        // the default one on the server
        this.state.teamId = parseInt(ev.target.value, 10);
        this.load();
    }

    shift(step) {
        this.state.date = shiftDate(this.state.date, this.state.periodType, step);
        this.load();
    }

    deltaClass(delta) {
        return deltaClass(delta);
    }

    rowClass(row) {
        const classes = [`o_crm_kpi_leaderboard_${row.status}`];
        if (row.is_me) {
            classes.push("o_crm_kpi_leaderboard_me", "table-info");
        }
        if (row.status !== "ranked") {
            classes.push("text-muted");
        }
        return classes.join(" ");
    }

    /** The dashboard, on the same period and team. */
    openDashboard() {
        this.action.doAction("crm_kpi.crm_kpi_dashboard_action", {
            additionalContext: {
                kpi_period_type: this.state.periodType,
                kpi_date: this.state.date,
                kpi_team_id: this.state.teamId || false,
            },
        });
    }

    openGoal(goal) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.kpi.goal",
            res_id: goal.id,
            views: [[false, "form"]],
        });
    }
}

registry.category("actions").add("crm_kpi.leaderboard", KpiLeaderboard);
