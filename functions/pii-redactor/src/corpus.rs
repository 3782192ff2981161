//! placeholder
pub fn x(){}
