/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("crm_kpi_dashboard_tour", {
    url: "/odoo/crm-kpis",
    steps: () => [
        {
            content: "The win rate card shows this month's value",
            trigger:
                '.o_crm_kpi_card[data-kpi="win_rate"] .o_crm_kpi_card_value:contains("50.0 %")',
        },
        {
            content: "A KPI without data explains why",
            trigger:
                '.o_crm_kpi_card[data-kpi="nps"] .o_crm_kpi_empty:contains("No NPS answer")',
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
            content: "Open the win rate's trend chart",
            trigger: '.o_crm_kpi_card[data-kpi="win_rate"].o_crm_kpi_card_drillable',
            run: "click",
        },
        {
            content: "The chart has a value axis, the value and its counts",
            trigger:
                '.o_crm_kpi_trend_dialog[data-kpi="win_rate"] .o_crm_kpi_trend_tick:contains("%")',
        },
        {
            trigger:
                '.o_crm_kpi_trend_dialog .o_crm_kpi_trend_fraction:contains("1 of 2")',
        },
        {
            content: "Open the quarter's opportunities behind the win rate",
            trigger: ".modal .o_crm_kpi_trend_records",
            run: "click",
        },
        {
            content: "The list names the KPI and the quarter",
            trigger: '.o_breadcrumb .active:contains("Q")',
        },
        {
            trigger: ".o_list_view .o_data_row:count(2)",
        },
        {
            content: "Back to the dashboard through the breadcrumb",
            trigger: ".o_breadcrumb .o_back_button, .breadcrumb-item a",
            run: "click",
        },
        {
            content: "The dashboard kept the quarter",
            trigger: '.o_crm_kpi_period_label:contains("Q")',
        },
        {
            content: "A card whose records cannot be listed opens its chart only",
            trigger:
                '.o_crm_kpi_card[data-kpi="data_quality"]:not(.o_crm_kpi_card_drillable)',
            run: "click",
        },
        {
            trigger: '.o_crm_kpi_trend_dialog[data-kpi="data_quality"]',
        },
        {
            trigger:
                ".modal:not(:has(.o_crm_kpi_trend_records)) .modal-footer .btn-secondary",
            run: "click",
        },
        {
            content: "Back to months",
            trigger: ".o_crm_kpi_period_type",
            run: "select month",
        },
        {
            content: "Open the opportunities behind the win rate",
            trigger:
                '.o_crm_kpi_card[data-kpi="win_rate"] .o_crm_kpi_card_value:contains("50.0 %")',
            run: "click",
        },
        {
            trigger: ".modal .o_crm_kpi_trend_records",
            run: "click",
        },
        {
            content: "The won and the lost opportunity are listed",
            trigger: ".o_list_view .o_data_row:count(2)",
        },
    ],
});
