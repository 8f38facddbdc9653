/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("crm_kpi_leaderboard_tour", {
    url: "/odoo/crm-kpis",
    steps: () => [
        {
            content: "Open the leaderboard from the dashboard",
            trigger: ".o_crm_kpi_open_leaderboard",
            run: "click",
        },
        {
            content: "The teams are ranked on the win rate: 7 of 10",
            trigger:
                '.o_crm_kpi_leaderboard_table tr[data-rank="1"]:contains("Tour Team"):contains("70.0 %"):contains("7 of 10")',
        },
        {
            content: "Rank the salespeople of the team",
            trigger: ".o_crm_kpi_leaderboard_scope",
            run: "selectByLabel Tour Team",
        },
        {
            content: "Ann leads with 4 of 5",
            trigger:
                '.o_crm_kpi_leaderboard_table tr[data-rank="1"]:contains("Tour Ann"):contains("80.0 %"):contains("4 of 5")',
        },
        {
            content: "Bob is second",
            trigger:
                '.o_crm_kpi_leaderboard_table tr[data-rank="2"]:contains("Tour Bob"):contains("60.0 %")',
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_crm_kpi_open_dashboard",
            run: "click",
        },
        {
            trigger: '.o_crm_kpi_card[data-kpi="win_rate"]',
        },
    ],
});

registry.category("web_tour.tours").add("crm_kpi_leaderboard_personal_tour", {
    url: "/odoo/crm-kpi-leaderboard",
    steps: () => [
        {
            content: "Personal visibility says so",
            trigger: '.o_crm_kpi_leaderboard_personal:contains("1 ranked")',
        },
        {
            content: "Bob's team is ranked",
            trigger: '.o_crm_kpi_leaderboard_me[data-rank="1"]:contains("Tour Team")',
        },
        {
            content: "Rank the salespeople of Bob's team",
            trigger: ".o_crm_kpi_leaderboard_scope",
            run: "selectByLabel Tour Team",
        },
        {
            content: "Bob sees his own row and rank among 2 ranked",
            trigger: '.o_crm_kpi_leaderboard_personal:contains("2 ranked")',
        },
        {
            trigger: ".o_crm_kpi_leaderboard_table tbody tr:count(1)",
        },
        {
            content: "and no one else's",
            trigger:
                '.o_crm_kpi_leaderboard_me[data-rank="2"]:contains("Tour Bob"):contains("60.0 %"):not(:contains("Tour Ann"))',
        },
    ],
});
