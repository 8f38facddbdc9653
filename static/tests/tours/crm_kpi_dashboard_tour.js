import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_kpi_dashboard_tour", {
    url: "/odoo/crm-kpis",
    steps: () => [
        {
            content: "The win rate card shows this month's value",
            trigger: '.o_crm_kpi_card[data-kpi="win_rate"] .o_crm_kpi_card_value:contains("50.0 %")',
        },
        {
            content: "A KPI without data explains why",
            trigger: '.o_crm_kpi_card[data-kpi="nps"] .o_crm_kpi_empty:contains("No NPS answer")',
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
            content: "Back to months",
            trigger: ".o_crm_kpi_period_type",
            run: "select month",
        },
        {
            content: "Open the opportunities behind the win rate",
            trigger: '.o_crm_kpi_card[data-kpi="win_rate"] .o_crm_kpi_card_value:contains("50.0 %")',
            run: "click",
        },
        {
            content: "The won and the lost opportunity are listed",
            trigger: ".o_list_view .o_data_row:count(2)",
        },
    ],
});
