//! The workloads screen: placeholder until its issue fills it.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::theme::Theme;
use crate::model::{Model, Screen};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    super::empty_state(model, Screen::Workloads, theme, frame, area);
}
