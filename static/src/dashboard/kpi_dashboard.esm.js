/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {Component, onWillStart, useState} from "@odoo/owl";
import {PERIOD_TYPES, deltaClass, initialDate, shiftDate} from "./kpi_periods.esm";
import {KpiTrendDialog} from "./kpi_trend_dialog.esm";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";
import {useService} from "@web/core/utils/hooks";
import {useSetupAction} from "@web/search/action_hook";

/**
 * The KPI dashboard: one card per KPI for the chosen period and scope, read
 * from the snapshots by crm.kpi.dashboard (never recomputed here). Numbers
 * come with their text, formatted on the server: nothing is formatted here.
 */
export class KpiDashboard extends Component {
    static template = "crm_kpi.KpiDashboard";
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.periodTypes = PERIOD_TYPES;
        // Coming back through the breadcrumb restores the period and scope
        // the user left (the action service keeps the local state); a first
        // opening reads them from the action's context (kpi_period_type,
        // kpi_date: a date or "last_complete", kpi_team_id, kpi_user_id).
        const restored = this.props.state || {};
        const context = this.props.action.context || {};
        const periodType = restored.periodType || context.kpi_period_type || "month";
        this.state = useState({
            periodType,
            date: restored.date || initialDate(periodType, context.kpi_date),
            teamId: restored.teamId ?? (context.kpi_team_id || 0),
            userId: restored.userId ?? (context.kpi_user_id || 0),
            data: null,
        });
        useSetupAction({
            getLocalState: () => ({
                periodType: this.state.periodType,
                date: this.state.date,
                teamId: this.state.teamId,
                userId: this.state.userId,
            }),
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call(
            "crm.kpi.dashboard",
            "get_dashboard_data",
            [],
            {
                period_type: this.state.periodType,
                date: this.state.date,
                team_id: this.state.teamId || false,
                user_id: this.state.userId || false,
            }
        );
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
        this.state.teamId = parseInt(ev.target.value, 10);
        this.state.userId = 0;
        this.load();
    }

    onUser(ev) {
        this.state.userId = parseInt(ev.target.value, 10);
        this.state.teamId = 0;
        this.load();
    }

    shift(step) {
        this.state.date = shiftDate(this.state.date, this.state.periodType, step);
        this.load();
    }

    deltaClass(delta) {
        return deltaClass(delta);
    }

    /** Δ and Δ% as the server wrote them, e.g. "+16.7 pp (+50.0 %)". */
    deltaText(delta) {
        if (!delta) {
            return _t("n/a");
        }
        return delta.percent_text
            ? `${delta.text} (${delta.percent_text})`
            : delta.text;
    }

    /** SVG polyline points of a 12-period trend (gaps where no value). */
    sparkline(trend) {
        const values = trend.filter((v) => v !== null);
        if (values.length < 2) {
            return "";
        }
        const min = Math.min(...values);
        const max = Math.max(...values);
        const span = max - min || 1;
        const step = 100 / (trend.length - 1);
        return trend
            .map((v, i) =>
                v === null
                    ? null
                    : `${(i * step).toFixed(1)},${(28 - ((v - min) / span) * 26).toFixed(1)}`
            )
            .filter(Boolean)
            .join(" ");
    }

    /** A card's trend chart, with the link to its records when they can be listed. */
    openTrend(card) {
        this.dialog.add(KpiTrendDialog, {
            card,
            periodTitle: this.state.data.period.title,
            ...(card.drillable ? {openRecords: () => this.openRecords(card)} : {}),
        });
    }

    async openRecords(card) {
        if (!card.drillable) {
            return;
        }
        const action = await this.orm.call(
            "crm.kpi.dashboard",
            "action_open_kpi_records",
            [card.code],
            {
                period_type: this.state.periodType,
                date: this.state.date,
                team_id: this.state.teamId || false,
                user_id: this.state.userId || false,
            }
        );
        // An empty list says so, never Odoo's sample records
        this.action.doAction(action, {props: {useSampleModel: false}});
    }

    openGoal(goal) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.kpi.goal",
            res_id: goal.id,
            views: [[false, "form"]],
        });
    }

    /** The leaderboard, on the same period and team. */
    openLeaderboard() {
        this.action.doAction("crm_kpi.crm_kpi_leaderboard_action", {
            additionalContext: {
                kpi_period_type: this.state.periodType,
                kpi_date: this.state.date,
                kpi_team_id: this.state.teamId || false,
            },
        });
    }

    /** The compute wizard on the period type and the period in view. */
    openCompute() {
        const period = this.state.data && this.state.data.period;
        this.action.doAction("crm_kpi.crm_kpi_backfill_wizard_action", {
            additionalContext: {
                default_period_type: this.state.periodType,
                ...(period ? {default_date_from: period.date_start} : {}),
                ...(period
                    ? {
                          default_date_to: luxon.DateTime.fromISO(period.date_end)
                              .minus({days: 1})
                              .toISODate(),
                      }
                    : {}),
            },
        });
    }
}

registry.category("actions").add("crm_kpi.dashboard", KpiDashboard);
