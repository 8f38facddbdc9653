/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {registry} from "@web/core/registry";

/** The label of the last complete month, as the dashboard writes it ("Nov 2026"). */
function lastCompleteMonth() {
    return luxon.DateTime.now()
        .startOf("month")
        .minus({days: 1})
        .setLocale("en-US")
        .toFormat("LLL yyyy");
}

function assertFirstTeam() {
    if (document.querySelector(".o_crm_kpi_team").selectedIndex !== 1) {
        throw new Error("The dashboard is not on the first sales team");
    }
}

/** Choose ``label`` in the selection field ``field`` (a select menu). */
function chooseOption(field, label) {
    return [
        {
            content: `Choose ${label}`,
            trigger: `${field} .o_select_menu_toggler`,
            run: "click",
        },
        {
            trigger: `.o_select_menu_menu .o_select_menu_item:contains("${label}")`,
            run: "click",
        },
    ];
}

function openMenu(xmlid) {
    return [
        {
            content: "Open the KPI menu",
            trigger: '.o_main_navbar [data-menu-xmlid="crm_kpi.crm_kpi_menu_root"]',
            run: "click",
        },
        {
            content: `Open ${xmlid}`,
            trigger: `.dropdown-item[data-menu-xmlid="crm_kpi.${xmlid}"]`,
            run: "click",
        },
    ];
}

/**
 * A sales manager's first hour on the demo data: the dashboard on the last
 * complete month, a quarter and a team, a card's trend chart and its records,
 * back with the state kept, a quota goal for a salesperson started, the
 * quarters computed in the background, the XLSX exported.
 */
registry.category("web_tour.tours").add("crm_kpi_first_hour_tour", {
    url: "/odoo/crm-kpis",
    steps: () => [
        {
            content: "The dashboard opens on the last complete month",
            trigger: `.o_crm_kpi_period_label:contains("${lastCompleteMonth()}")`,
        },
        {
            content: "with values on the cards",
            trigger:
                '.o_crm_kpi_card[data-kpi="win_rate"] .o_crm_kpi_card_value:not(:contains("n/a"))',
        },
        {
            content: "Switch to quarters",
            trigger: ".o_crm_kpi_period_type",
            run: "select quarter",
        },
        {
            trigger: '.o_crm_kpi_period_label:contains("Q")',
        },
        {
            content: "Choose the first sales team",
            trigger: ".o_crm_kpi_team",
            run() {
                const select = document.querySelector(".o_crm_kpi_team");
                select.value = select.options[1].value;
                select.dispatchEvent(new Event("change"));
            },
        },
        {
            trigger: ".o_crm_kpi_team",
            run: assertFirstTeam,
        },
        {
            content: "Open the trend chart of the win rate",
            trigger: '.o_crm_kpi_card[data-kpi="win_rate"]',
            run: "click",
        },
        {
            content: "The chart has a value axis in percent",
            trigger: '.o_crm_kpi_trend_dialog .o_crm_kpi_trend_tick:contains("%")',
        },
        {
            content: "Open its records",
            trigger: ".modal .o_crm_kpi_trend_records",
            run: "click",
        },
        {
            content: "The list is titled with the KPI and the quarter",
            trigger: '.o_breadcrumb .active:contains("Q")',
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button, .breadcrumb-item a",
            run: "click",
        },
        {
            content: "The quarter and the team are kept",
            trigger: '.o_crm_kpi_period_label:contains("Q")',
        },
        {
            trigger: ".o_crm_kpi_team",
            run: assertFirstTeam,
        },
        ...openMenu("crm_kpi_goal_menu"),
        {
            content: "Create a goal",
            trigger: ".o_control_panel_main_buttons .o-kanban-button-new",
            run: "click",
        },
        {
            trigger: '.o_form_view .o_field_widget[name="name"] input',
            run: "edit Mitchell's quota",
        },
        {
            content: "on the quota attainment",
            trigger: '.o_form_view .o_field_widget[name="kpi_id"] input',
            run: "edit Quota",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:contains("Quota Attainment")',
            run: "click",
        },
        ...chooseOption('.o_form_view .o_field_widget[name="scope"]', "Salesperson"),
        {
            trigger: '.o_form_view .o_field_widget[name="user_id"] input',
            run: "edit Mitchell",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:contains("Mitchell Admin")',
            run: "click",
        },
        {
            content: "by the end of the third month from now",
            trigger: '.o_form_view .o_field_widget[name="deadline"] input',
            run: `edit ${luxon.DateTime.now().plus({months: 3}).endOf("month").toFormat("MM/dd/yyyy")}`,
        },
        {
            content: "The target is an amount in the company currency",
            trigger: '.o_notebook .nav-link:contains("Measurable")',
            run: "click",
        },
        {
            trigger:
                '.o_form_view .o_field_widget[name="goal_unit"]:contains("Currency")',
        },
        {
            trigger:
                '.o_form_view .o_field_widget[name="target_value"]:contains("$") input',
            run: "edit 90000",
        },
        {
            content: "Start it",
            trigger: '.o_form_view button[name="action_start"]',
            run: "click",
        },
        {
            content: "Started: its current value is shown in the currency",
            trigger: '.o_form_view .o_field_widget[name="current_text"]:contains("$")',
        },
        ...openMenu("crm_kpi_backfill_wizard_menu"),
        ...chooseOption('.modal .o_field_widget[name="period_type"]', "Quarter"),
        {
            trigger: '.modal button[name="action_compute_background"]',
            run: "click",
        },
        {
            content: "The computation shows its progress",
            trigger: '.o_form_view .o_field_widget[name="progress"] .o_progressbar',
        },
        {
            trigger: '.o_statusbar_status .o_arrow_button_current:contains("Queued")',
        },
        ...openMenu("crm_kpi_export_wizard_menu"),
        {
            content: "Export the board pack",
            trigger: '.modal button[name="action_export"]',
            run: "click",
        },
        {
            content: "The workbook is downloaded without an error",
            trigger:
                "body:not(:has(.o_blockUI)):not(:has(.o_error_dialog)) .modal .o_form_view",
        },
        {
            trigger: ".modal .btn-close",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
