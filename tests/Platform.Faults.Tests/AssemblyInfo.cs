// The fault runs measure rates and kill processes: one at a time, so they neither disturb each other's numbers nor
// overload the 2-core CI machine.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]
