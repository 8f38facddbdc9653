/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {Component, onWillStart, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {standardActionServiceProps} from "@web/webclient/actions/action_service";
import {useService} from "@web/core/utils/hooks";
import {useSetupAction} from "@web/search/action_hook";

/**
 * Retention cohorts: the triangle of acquisition months (rows) × months
 * since (columns), logo or revenue retention, read from the stored cohort
 * cells by crm.kpi.cohort.cell.get_cohort_data. Texts, colours and
 * tooltips come from the server: nothing is computed or formatted here.
 */
export class KpiCohorts extends Component {
    static template = "crm_kpi.KpiCohorts";
    static props = {...standardActionServiceProps};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.modes = [
            ["logo", _t("Logo retention")],
            ["revenue", _t("Revenue retention")],
        ];
        const restored = this.props.state || {};
        this.state = useState({
            mode: restored.mode || "logo",
            teamId: restored.teamId || 0,
            data: null,
        });
        useSetupAction({
            getLocalState: () => ({mode: this.state.mode, teamId: this.state.teamId}),
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call(
            "crm.kpi.cohort.cell",
            "get_cohort_data",
            [],
            {
                mode: this.state.mode,
                team_id: this.state.teamId || false,
            }
        );
    }

    setMode(mode) {
        this.state.mode = mode;
        this.load();
    }

    onTeam(ev) {
        this.state.teamId = parseInt(ev.target.value, 10);
        this.load();
    }

    cellStyle(cell) {
        return cell.background
            ? `background-color: ${cell.background}; color: ${cell.color};`
            : "";
    }

    async openCell(cell) {
        if (!cell.cohort || cell.value === null) {
            return;
        }
        const action = await this.orm.call(
            "crm.kpi.cohort.cell",
            "action_open_cohort_customers",
            [],
            {
                cohort: cell.cohort,
                months_since: cell.months_since,
                mode: this.state.mode,
                team_id: this.state.teamId || false,
            }
        );
        this.action.doAction(action, {props: {useSampleModel: false}});
    }
}

registry.category("actions").add("crm_kpi.cohorts", KpiCohorts);
