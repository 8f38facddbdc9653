/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {_t} from "@web/core/l10n/translation";

/** The period types of the KPI screens, with their labels. */
export const PERIOD_TYPES = [
    ["day", _t("Day")],
    ["week", _t("Week")],
    ["month", _t("Month")],
    ["quarter", _t("Quarter")],
    ["year", _t("Year")],
];

const UNITS = {
    day: "days",
    week: "weeks",
    month: "months",
    quarter: "quarters",
    year: "years",
};

/** Today, a given ISO date, or a day of the last complete period ("last_complete"). */
export function initialDate(periodType, date) {
    const today = luxon.DateTime.local();
    if (date === "last_complete") {
        return today.startOf(periodType).minus({days: 1}).toISODate();
    }
    return date || today.toISODate();
}

/** The ISO date ``step`` periods of ``periodType`` away from ``date``. */
export function shiftDate(date, periodType, step) {
    return luxon.DateTime.fromISO(date)
        .plus({[UNITS[periodType]]: step})
        .toISODate();
}

/** The colour class of a Δ: green when better, red when worse. */
export function deltaClass(delta) {
    if (!delta || delta.state === "none") {
        return "text-muted";
    }
    return delta.state === "better" ? "text-success" : "text-danger";
}
