// A generic channel type would give every instance (`Chat<A>`, `Chat<B>`) one shared id.
use stardust::prelude::*;

#[derive(Channel)]
#[channel(reliable)]
pub struct Chat<T>(core::marker::PhantomData<T>);

fn main() {}
