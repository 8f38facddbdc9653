import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";
import { registry } from "@web/core/registry";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { useService } from "@web/core/utils/hooks";

const PERIOD_TYPES = [
    ["day", _t("Day")],
    ["week", _t("Week")],
    ["month", _t("Month")],
    ["quarter", _t("Quarter")],
    ["year", _t("Year")],
];

/**
 * The KPI dashboard: one card per KPI for the chosen period and scope, read
 * from the snapshots by crm.kpi.dashboard (never recomputed here).
 */
export class KpiDashboard extends Component {
    static template = "crm_kpi.KpiDashboard";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.periodTypes = PERIOD_TYPES;
        this.state = useState({
            periodType: "month",
            date: luxon.DateTime.local().toISODate(),
            teamId: 0,
            userId: 0,
            data: null,
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("crm.kpi.dashboard", "get_dashboard_data", [], {
            period_type: this.state.periodType,
            date: this.state.date,
            team_id: this.state.teamId || false,
            user_id: this.state.userId || false,
        });
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
        this.state.teamId = parseInt(ev.target.value);
        this.state.userId = 0;
        this.load();
    }

    onUser(ev) {
        this.state.userId = parseInt(ev.target.value);
        this.state.teamId = 0;
        this.load();
    }

    shift(step) {
        const units = { day: "days", week: "weeks", month: "months", quarter: "quarters", year: "years" };
        const date = luxon.DateTime.fromISO(this.state.date).plus({ [units[this.state.periodType]]: step });
        this.state.date = date.toISODate();
        this.load();
    }

    format(value, unit) {
        if (value === null || value === undefined) {
            return _t("n/a");
        }
        const currency = this.state.data.currency;
        switch (unit) {
            case "percent":
                return `${formatFloat(value, { digits: [false, 1] })} %`;
            case "currency": {
                const amount = formatFloat(value, { digits: [false, 0] });
                return currency.position === "before"
                    ? `${currency.symbol} ${amount}`
                    : `${amount} ${currency.symbol}`;
            }
            case "days":
                return _t("%s days", formatFloat(value, { digits: [false, 1] }));
            case "hours":
                return _t("%s h", formatFloat(value, { digits: [false, 1] }));
            case "months":
                return _t("%s months", formatFloat(value, { digits: [false, 1] }));
            case "count":
                return formatFloat(value, { digits: [false, Number.isInteger(value) ? 0 : 1] });
            default:
                return formatFloat(value, { digits: [false, 2] });
        }
    }

    deltaClass(card, delta) {
        if (!delta || !delta.delta) {
            return "text-muted";
        }
        const better = card.direction === "higher" ? delta.delta > 0 : delta.delta < 0;
        return better ? "text-success" : "text-danger";
    }

    formatDelta(card, delta) {
        if (!delta) {
            return _t("n/a");
        }
        const sign = delta.delta > 0 ? "+" : "";
        const percent =
            delta.percent === null ? "" : ` (${sign}${formatFloat(delta.percent, { digits: [false, 1] })} %)`;
        const unit = card.unit === "percent" ? _t(" pts") : "";
        return `${sign}${formatFloat(delta.delta, { digits: [false, 1] })}${unit}${percent}`;
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
            .map((v, i) => (v === null ? null : `${(i * step).toFixed(1)},${(28 - ((v - min) / span) * 26).toFixed(1)}`))
            .filter(Boolean)
            .join(" ");
    }

    async openRecords(card) {
        const action = await this.orm.call("crm.kpi.dashboard", "action_open_kpi_records", [card.code], {
            period_type: this.state.periodType,
            date: this.state.date,
            team_id: this.state.teamId || false,
            user_id: this.state.userId || false,
        });
        this.action.doAction(action);
    }

    openCompute() {
        this.action.doAction("crm_kpi.crm_kpi_backfill_wizard_action");
    }
}

registry.category("actions").add("crm_kpi.dashboard", KpiDashboard);
