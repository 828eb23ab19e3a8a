struct S;

impl S {
    #[corio_macros::main]
    async fn method(&self) {}
}

#[corio_macros::main]
async fn generic<T: Default>() -> T {
    T::default()
}

fn main() {}
