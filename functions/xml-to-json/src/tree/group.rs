//! Closing an element: grouping its children by name into arrays (xmltodict's rule),
//! with a shortcut for children that come in runs of distinct names.

use super::{
    ATTR_BIT, BResult, BuildError, Entry, Group, LINEAR_GROUPS, TAG_ARR, TAG_OBJ, TreeBuilder, Val,
};

impl TreeBuilder {
    fn group_index(&mut self, key: u32, from: usize) -> Option<usize> {
        if self.groups.len() - from <= LINEAR_GROUPS {
            return self.groups[from..]
                .iter()
                .position(|g| g.key == key)
                .map(|i| i + from);
        }
        if self.group_map.is_empty() {
            for (i, g) in self.groups.iter().enumerate() {
                self.group_map.insert(g.key, i as u32);
            }
        }
        self.group_map.get(&key).map(|&i| i as usize)
    }

    /// [`Self::close_object`] for children that come in runs of distinct names (all the
    /// `<node>`s, then the `<way>`s; `<nd>`s, then `<tag>`s): the usual shape of data, where
    /// each run is a group of its own and no group table is needed. The same entries and
    /// items as the general path. `None`, with nothing changed, when a name comes back after
    /// another one or there are more than [`LINEAR_GROUPS`] runs.
    fn close_runs(&mut self, start: usize) -> BResult<Option<Val>> {
        let pending = self.pending.get(start..).unwrap_or_default();
        // Attributes come first, each its own group (`runs_are_groups`: they cannot share
        // a key with a child or the text).
        let attrs = pending
            .iter()
            .take_while(|(k, _)| k & ATTR_BIT != 0)
            .count();
        let mut seen = [0u32; LINEAR_GROUPS];
        let mut runs = 0;
        let mut i = attrs;
        while let Some(&(key, _)) = pending.get(i) {
            if key & ATTR_BIT != 0 || runs == LINEAR_GROUPS || seen[..runs].contains(&key) {
                return Ok(None);
            }
            seen[runs] = key;
            runs += 1;
            while pending.get(i).is_some_and(|&(k, _)| k == key) {
                i += 1;
            }
        }
        let first = self.entries.len();
        self.entries
            .extend(pending[..attrs].iter().map(|&(k, val)| Entry {
                key: k & !ATTR_BIT,
                val,
            }));
        let mut i = attrs;
        while let Some(&(key, val)) = pending.get(i) {
            let run = i;
            while pending.get(i).is_some_and(|&(k, _)| k == key) {
                i += 1;
            }
            let val = if i - run > 1 || self.keys.forced(key) {
                let off = self.items.len();
                self.items
                    .extend(pending[run..i].iter().map(|&(_, item)| item));
                Val::new(TAG_ARR, off, i - run)?
            } else {
                val
            };
            self.entries.push(Entry { key, val });
        }
        let n = self.entries.len() - first;
        self.pending.truncate(start);
        Val::new(TAG_OBJ, first, n).map(Some)
    }

    /// Groups the pending children of a closing element by key (first-occurrence order).
    pub(super) fn close_object(&mut self, start: usize) -> BResult<Val> {
        let only_attrs = self.pending[start..].iter().all(|(k, _)| k & ATTR_BIT != 0);
        if only_attrs && !self.attrs_may_collide {
            // Distinct attribute keys only: no grouping to do.
            let first = self.entries.len();
            let n = self.pending.len() - start;
            self.entries
                .extend(self.pending[start..].iter().map(|&(k, val)| Entry {
                    key: k & !ATTR_BIT,
                    val,
                }));
            self.pending.truncate(start);
            return Val::new(TAG_OBJ, first, n);
        }
        if self.runs_are_groups
            && let Some(val) = self.close_runs(start)?
        {
            return Ok(val);
        }
        self.groups.clear();
        self.group_of.clear();
        self.group_map.clear();
        // Attributes come first and are distinct from each other (the parser checks), so
        // unless they can collide with element names each one is its own group.
        let mut i = start;
        if !self.attrs_may_collide {
            while let Some(&(raw_key, val)) = self.pending.get(i) {
                if raw_key & ATTR_BIT == 0 {
                    break;
                }
                self.groups.push(Group {
                    key: raw_key & !ATTR_BIT,
                    count: 1,
                    first: val,
                    list: false,
                    first_is_attr: true,
                    off: 0,
                    fill: 0,
                });
                self.group_of.push((self.groups.len() - 1) as u32);
                i += 1;
            }
        }
        let first_child_group = if self.attrs_may_collide {
            0
        } else {
            self.groups.len()
        };
        // Runs of one name (`<nd>`, `<nd>`, ...) find their group once.
        let mut last: Option<(u32, usize)> = None;
        for i in i..self.pending.len() {
            let (raw_key, val) = self.pending[i];
            let key = raw_key & !ATTR_BIT;
            if let Some((k, g)) = last
                && k == key
            {
                self.groups[g].count += 1;
                self.group_of.push(g as u32);
                continue;
            }
            // The text key may equal an attribute key (prefix + name); search all groups.
            let from = if key == self.text_key {
                0
            } else {
                first_child_group
            };
            let g = match self.group_index(key, from) {
                Some(g) => g,
                None => {
                    self.groups.push(Group {
                        key,
                        count: 0,
                        first: val,
                        list: false,
                        first_is_attr: raw_key & ATTR_BIT != 0,
                        off: 0,
                        fill: 0,
                    });
                    let g = self.groups.len() - 1;
                    if !self.group_map.is_empty() {
                        self.group_map.insert(key, g as u32);
                    }
                    g
                }
            };
            self.groups[g].count += 1;
            self.group_of.push(g as u32);
            last = Some((key, g));
        }
        let mut next = self.items.len();
        for g in &mut self.groups {
            g.list = g.count > 1 || (!g.first_is_attr && self.keys.forced(g.key));
            if g.list {
                g.off = u32::try_from(next).map_err(|_| BuildError::OutputTooLarge)?;
                next += g.count as usize;
            }
        }
        self.items.resize(next, Val::NULL);
        for (i, &g) in self.group_of.iter().enumerate() {
            let group = &mut self.groups[g as usize];
            if group.list {
                self.items[(group.off + group.fill) as usize] = self.pending[start + i].1;
                group.fill += 1;
            }
        }
        let first = self.entries.len();
        for g in &self.groups {
            let val = if g.list {
                Val::new(TAG_ARR, g.off as usize, g.count as usize)?
            } else {
                g.first
            };
            self.entries.push(Entry { key: g.key, val });
        }
        self.pending.truncate(start);
        Val::new(TAG_OBJ, first, self.groups.len())
    }
}
