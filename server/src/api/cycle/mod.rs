//! The office's cycle above the single item (issue 17): the 工作清单's rollup of children
//! into parents ([`rollup`], used by `GET /api/records`), 批示 tracking ([`instructions`]),
//! the 考核 per unit ([`assessments`], its workbook in [`assessments_xlsx`]), the monthly
//! report ([`monthly`], the weekly report's rules over a month), the 通报 ([`bulletins`]) and
//! the dashboard's trend over weeks, months or quarters ([`trend`]).

pub mod assessments;
mod assessments_xlsx;
pub mod bulletins;
pub mod instructions;
pub mod monthly;
pub mod rollup;
pub mod trend;

use axum::Router;

use crate::app::AppState;

/// The cycle's routes, mounted under `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(instructions::router())
        .merge(assessments::router())
        .merge(monthly::router())
        .merge(bulletins::router())
        .merge(trend::router())
}
