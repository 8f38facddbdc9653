/* Copyright 2026 crm_kpi contributors
 * License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl). */

import {Component} from "@odoo/owl";
import {Dialog} from "@web/core/dialog/dialog";

const WIDTH = 640;
const HEIGHT = 280;
const MARGIN = {top: 16, right: 16, bottom: 44, left: 88};

/**
 * A card's trend, large: the values of the twelve periods on a value axis
 * whose ticks the server chose and formatted, the running goal's target as a
 * line, the current value with its numerator and denominator, and a link to
 * the records behind it. Only coordinates are computed here; every text
 * comes formatted from the server.
 */
export class KpiTrendDialog extends Component {
    static template = "crm_kpi.KpiTrendDialog";
    static components = {Dialog};
    static props = {
        card: Object,
        periodTitle: String,
        openRecords: {type: Function, optional: true},
        close: Function,
    };

    setup() {
        this.width = WIDTH;
        this.height = HEIGHT;
        this.margin = MARGIN;
        const axis = this.props.card.trend_axis;
        this.low = axis.length ? axis[0].value : 0;
        this.high = axis.length ? axis[axis.length - 1].value : 1;
    }

    get plotWidth() {
        return WIDTH - MARGIN.left - MARGIN.right;
    }

    get plotBottom() {
        return HEIGHT - MARGIN.bottom;
    }

    x(index) {
        const count = this.props.card.trend.length;
        return (
            MARGIN.left +
            (count > 1 ? (index * this.plotWidth) / (count - 1) : this.plotWidth / 2)
        );
    }

    y(value) {
        const span = this.high - this.low || 1;
        return (
            this.plotBottom -
            ((value - this.low) / span) * (this.plotBottom - MARGIN.top)
        );
    }

    /** The points with a value, each with its period and text. */
    get points() {
        const card = this.props.card;
        return card.trend
            .map((value, index) => ({
                index,
                value,
                x: this.x(index),
                y: value === null ? null : this.y(value),
                label: card.trend_labels[index],
                text: card.trend_texts[index],
            }))
            .filter((point) => point.value !== null);
    }

    /** Polyline segments: a period without value breaks the line. */
    get segments() {
        const segments = [];
        let current = [];
        this.props.card.trend.forEach((value, index) => {
            if (value === null) {
                if (current.length) {
                    segments.push(current);
                }
                current = [];
            } else {
                current.push(`${this.x(index).toFixed(1)},${this.y(value).toFixed(1)}`);
            }
        });
        if (current.length) {
            segments.push(current);
        }
        return segments.map((points, key) => ({key, points: points.join(" ")}));
    }

    /** Every other period label when there are many. */
    showLabel(index) {
        const count = this.props.card.trend.length;
        return count <= 6 || (count - 1 - index) % 2 === 0;
    }

    get targetY() {
        const goal = this.props.card.goal;
        return goal && goal.is_level ? this.y(goal.target_value) : null;
    }

    onOpenRecords() {
        this.props.close();
        this.props.openRecords();
    }
}
