// The browser tests share two cores with the platform they drive: one test class at a time keeps their
// deadlines meaningful on a loaded CI machine.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
