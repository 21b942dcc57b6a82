//! The one selectable, scrollable list every tab uses: rows kept by value, a selection that
//! follows its row across re-orderings, paging by the height last drawn, and mouse clicks.

use std::cell::Cell;
use std::ops::Range;

use super::keys::Action;

/// A list of rows of type `K` (ids, indices) with a selection kept by value.
#[derive(Debug)]
pub struct ListNav<K> {
    rows: Vec<K>,
    selected: Option<K>,
    /// Position of the selection in `rows`.
    row: usize,
    /// First visible row, adjusted while drawing to keep the selection in view.
    offset: Cell<usize>,
    /// Rows visible in the last frame, for paging.
    page: Cell<usize>,
    /// Rows the selection may land on (group headings may not, for instance).
    selectable: fn(&K) -> bool,
}

impl<K> Default for ListNav<K> {
    fn default() -> Self {
        ListNav {
            rows: Vec::new(),
            selected: None,
            row: 0,
            offset: Cell::new(0),
            page: Cell::new(1),
            selectable: |_| true,
        }
    }
}

impl<K: Clone + PartialEq> ListNav<K> {
    /// A list whose selection only lands on rows for which `selectable` holds.
    pub fn with_selectable(selectable: fn(&K) -> bool) -> Self {
        ListNav {
            selectable,
            ..ListNav::default()
        }
    }

    pub fn rows(&self) -> &[K] {
        &self.rows
    }

    pub fn selected(&self) -> Option<&K> {
        self.selected.as_ref()
    }

    /// Position of the selection in the rows.
    pub fn selected_row(&self) -> usize {
        self.row
    }

    /// Replaces the rows and finds the selection again. Returns false when the selected row
    /// is gone (the first selectable row is selected instead).
    pub fn set_rows(&mut self, rows: Vec<K>) -> bool {
        self.rows = rows;
        self.reselect()
    }

    /// Selects `k` if it is a row; returns whether it is.
    pub fn select(&mut self, k: K) -> bool {
        match self.rows.iter().position(|r| *r == k) {
            Some(p) if (self.selectable)(&k) => {
                self.row = p;
                self.selected = Some(k);
                true
            }
            _ => false,
        }
    }

    fn reselect(&mut self) -> bool {
        if let Some(p) = self
            .selected
            .as_ref()
            .and_then(|s| self.rows.iter().position(|r| r == s))
        {
            self.row = p;
            return true;
        }
        let first = self.rows.iter().position(|r| (self.selectable)(r));
        self.row = first.unwrap_or(0);
        self.selected = first.map(|p| self.rows[p].clone());
        false
    }

    /// Moves the selection by `delta` selectable rows, clamped to the list.
    pub fn step(&mut self, delta: isize) {
        let choices: Vec<usize> = (0..self.rows.len())
            .filter(|&i| (self.selectable)(&self.rows[i]))
            .collect();
        if choices.is_empty() {
            return;
        }
        let cur = choices.iter().position(|&i| i == self.row).unwrap_or(0) as isize;
        let next = cur
            .saturating_add(delta)
            .clamp(0, choices.len() as isize - 1) as usize;
        self.row = choices[next];
        self.selected = Some(self.rows[self.row].clone());
    }

    /// Handles the movement keys; false for any other action.
    pub fn nav(&mut self, action: Action) -> bool {
        let page = self.page.get().max(1) as isize;
        match action {
            Action::Up => self.step(-1),
            Action::Down => self.step(1),
            Action::PageUp => self.step(-page),
            Action::PageDown => self.step(page),
            Action::Home => self.step(isize::MIN / 2),
            Action::End => self.step(isize::MAX / 2),
            _ => return false,
        }
        true
    }

    /// The rows to draw in `height` lines, scrolled so the selection is in view.
    pub fn window(&self, height: usize) -> Range<usize> {
        self.page.set(height.max(1));
        let mut offset = self.offset.get();
        if self.row < offset {
            offset = self.row;
        } else if height > 0 && self.row >= offset + height {
            offset = self.row + 1 - height;
        }
        offset = offset.min(self.rows.len().saturating_sub(height.max(1)));
        self.offset.set(offset);
        offset..(offset + height).min(self.rows.len())
    }

    /// A click on the `line`th visible row: `None` when nothing selectable is there, else
    /// whether that row was already selected (a second click, which opens it).
    pub fn click_again(&mut self, line: usize) -> Option<bool> {
        let before = self.row;
        let had = self.selected.is_some();
        self.click(line).then_some(had && before == self.row)
    }

    /// A click on the `line`th visible row (0 = first drawn): selects it if it can be.
    pub fn click(&mut self, line: usize) -> bool {
        let i = self.offset.get() + line;
        match self.rows.get(i) {
            Some(k) if (self.selectable)(k) => {
                self.row = i;
                self.selected = Some(k.clone());
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_follows_its_row_and_skips_what_cannot_be_selected() {
        let mut l: ListNav<i32> = ListNav::with_selectable(|k| *k >= 0);
        assert!(!l.set_rows(vec![-1, 10, 20, -2, 30]));
        assert_eq!(l.selected(), Some(&10));
        l.step(1);
        assert_eq!((l.selected(), l.selected_row()), (Some(&20), 2));
        l.step(1);
        assert_eq!((l.selected(), l.selected_row()), (Some(&30), 4));
        assert!(l.set_rows(vec![30, -1, 10]));
        assert_eq!(l.selected_row(), 0);
        assert!(l.nav(Action::End));
        assert_eq!(l.selected(), Some(&10));
        assert!(!l.nav(Action::Enter));
        assert!(!l.select(-1));
    }

    #[test]
    fn the_window_keeps_the_selection_in_view_and_pages_by_it() {
        let mut l: ListNav<usize> = ListNav::default();
        l.set_rows((0..100).collect());
        assert_eq!(l.window(10), 0..10);
        l.nav(Action::PageDown);
        assert_eq!(l.selected(), Some(&10));
        assert_eq!(l.window(10), 1..11);
        assert!(l.click(3));
        assert_eq!(l.selected(), Some(&4));
        assert_eq!(l.click_again(3), Some(true));
        assert_eq!(l.click_again(4), Some(false));
        assert_eq!(l.click_again(500), None);
        assert!(l.click(3));
        l.nav(Action::End);
        assert_eq!(l.window(10), 90..100);
        assert!(!l.click(20));
    }
}
