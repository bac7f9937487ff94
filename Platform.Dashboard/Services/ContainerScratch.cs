namespace Platform.Dashboard.Services;

/// <summary>The containers of one batch as the interpreter gathers them; reused from batch to batch.</summary>
internal sealed class ContainerScratch
{
    private Entry[] _entries = new Entry[8];

    public int Count { get; private set; }

    public ReadOnlySpan<Entry> Entries => _entries.AsSpan(0, Count);

    public void Clear()
    {
        Array.Clear(_entries, 0, Count);
        Count = 0;
    }

    /// <summary>Sets one field of the container named by <paramref name="series"/>.</summary>
    public void Set(SeriesClass series, long time, double value)
    {
        var name = series.ContainerName!;
        var index = 0;
        while (index < Count && !string.Equals(_entries[index].Name, name, StringComparison.Ordinal))
        {
            index++;
        }

        if (index == Count)
        {
            if (Count == _entries.Length)
            {
                Array.Resize(ref _entries, _entries.Length * 2);
            }

            _entries[Count++] = new Entry { Name = name, Id = series.ContainerId, Time = time };
        }

        ref var entry = ref _entries[index];
        switch (series.Role)
        {
            case SeriesRole.ContainerCpu:
                entry.Cpu = value;
                break;
            case SeriesRole.ContainerMemory:
                entry.Memory = value;
                break;
            default:
                entry.Limit = value > 0 ? value : null;
                break;
        }
    }

    internal struct Entry
    {
        public string Name;
        public string? Id;
        public long Time;
        public double? Cpu;
        public double? Memory;
        public double? Limit;
    }
}
