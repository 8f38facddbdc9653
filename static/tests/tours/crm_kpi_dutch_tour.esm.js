/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {registry} from "@web/core/registry";

/**
 * The add-on in Dutch: the dashboard, a goal form and the export wizard.
 *
 * The test that starts this tour stores in sessionStorage
 * ("crm_kpi_english") every English string of the add-on whose Dutch
 * translation differs from it; each page is scanned for them: visible text
 * and the texts a user reads in tooltips, placeholders and options.
 */
function normalize(text) {
    return (text || "").replace(/\s+/g, " ").trim();
}

function shownTexts() {
    const texts = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || parent.closest("script, style, .o_debug_manager")) {
            continue;
        }
        const inSelect = parent.closest("select");
        if (!inSelect && !parent.checkVisibility()) {
            continue;
        }
        const text = normalize(node.textContent);
        if (text) {
            texts.add(text);
        }
    }
    for (const el of document.body.querySelectorAll(
        "[title], [placeholder], [aria-label], [data-tooltip]"
    )) {
        for (const attr of ["title", "placeholder", "aria-label", "data-tooltip"]) {
            const text = normalize(el.getAttribute(attr));
            if (text) {
                texts.add(text);
            }
        }
    }
    return texts;
}

function assertNoEnglish(where) {
    const english = new Set(
        JSON.parse(sessionStorage.getItem("crm_kpi_english") || "[]")
    );
    if (!english.size) {
        throw new Error("The test did not provide the English strings to look for.");
    }
    const found = [...shownTexts()].filter((text) => english.has(text));
    if (found.length) {
        throw new Error(
            `English strings of crm_kpi on the ${where}: ${JSON.stringify(found)}`
        );
    }
}

registry.category("web_tour.tours").add("crm_kpi_dutch_tour", {
    url: "/odoo/crm-kpis",
    steps: () => [
        {
            content: "The dashboard shows the win rate card",
            trigger: '.o_crm_kpi_card[data-kpi="win_rate"] .o_crm_kpi_card_value',
        },
        {
            content: "The period selector speaks Dutch",
            trigger: '.o_crm_kpi_period_type:contains("Maand"):contains("Kwartaal")',
        },
        {
            content: "No English string of the add-on on the dashboard",
            trigger: ".o_crm_kpi_goals .o_crm_kpi_goal",
            run: () => assertNoEnglish("dashboard"),
        },
        {
            content: "Open the KPI menu",
            trigger: '.o_main_navbar [data-menu-xmlid="crm_kpi.crm_kpi_menu_root"]',
            run: "click",
        },
        {
            content: "Open the goals",
            trigger: '.dropdown-item[data-menu-xmlid="crm_kpi.crm_kpi_goal_menu"]',
            run: "click",
        },
        {
            content: "Open the goal",
            trigger: '.o_kanban_record:contains("Meer deals winnen")',
            run: "click",
        },
        {
            content: "No English string of the add-on on the goal form",
            trigger: '.o_form_view .o_field_widget[name="kpi_id"]',
            run: () => assertNoEnglish("goal form"),
        },
        {
            content: "Open the KPI menu again",
            trigger: '.o_main_navbar [data-menu-xmlid="crm_kpi.crm_kpi_menu_root"]',
            run: "click",
        },
        {
            content: "Open the export wizard",
            trigger:
                '.dropdown-item[data-menu-xmlid="crm_kpi.crm_kpi_export_wizard_menu"]',
            run: "click",
        },
        {
            content: "No English string of the add-on in the export wizard",
            trigger: '.modal .o_form_view .o_field_widget[name="period_type"]',
            run: () => assertNoEnglish("export wizard"),
        },
    ],
});
