using System.Collections.Concurrent;
using System.Text.Json;

namespace Platform.Alerting.Notifications;

/// <summary>A notification not yet final on every one of its channels, as the outbox keeps it.</summary>
internal sealed record OutboxEntry(Notification Notification, List<string> Channels);

/// <summary>
/// The notifications decided but not yet delivered (or given up) on every channel, one file each under
/// <c>{state}/outbox/</c>: written before the engine's "notified" record is published and removed when the last of its
/// channels is final, so a notification still retrying when alerting stops or its process dies is sent by the next
/// start (at least once: a delivery cut by the stop may arrive twice). A file is written and renamed into place but not
/// forced to the disk (a burst of thousands of notifications must not stall evaluation for seconds): a power cut can
/// lose what the kernel had not written yet. Without a directory it only counts.
/// </summary>
internal sealed class NotificationOutbox
{
    private readonly string? _directory;
    private readonly ConcurrentDictionary<string, OutboxEntry> _entries = new(StringComparer.Ordinal);

    public NotificationOutbox(string? directory)
    {
        _directory = directory;
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
    }

    /// <summary>Notifications still waiting for some channel.</summary>
    public int Count => _entries.Count;

    /// <summary>Reads the entries a previous run left (a file cut by a crash is skipped and removed).</summary>
    public IReadOnlyList<OutboxEntry> Load()
    {
        if (_directory is null)
        {
            return [];
        }

        var result = new List<OutboxEntry>();
        foreach (var file in Directory.EnumerateFiles(_directory, "*.json").Order(StringComparer.Ordinal))
        {
            OutboxEntry? entry = null;
            try
            {
                entry = JsonSerializer.Deserialize(File.ReadAllBytes(file), NotificationJsonContext.Default.OutboxEntry);
            }
            catch (JsonException)
            {
                // Written half when the process died: the notification was not dispatched (the file comes first).
            }

            if (entry is null || entry.Channels.Count == 0)
            {
                File.Delete(file);
                continue;
            }

            _entries[entry.Notification.Id] = entry;
            result.Add(entry);
        }

        return [.. result.OrderBy(e => e.Notification.At)];
    }

    /// <summary>Keeps the notification until each of its channels is <see cref="Complete"/>.</summary>
    public void Add(Notification notification)
    {
        var entry = new OutboxEntry(notification, [.. notification.Channels]);
        if (entry.Channels.Count == 0)
        {
            return;
        }

        _entries[notification.Id] = entry;
        lock (entry)
        {
            Write(entry);
        }
    }

    /// <summary>The notification is final on this channel (delivered, or given up).</summary>
    public void Complete(string notificationId, string channelId)
    {
        if (!_entries.TryGetValue(notificationId, out var entry))
        {
            return;
        }

        lock (entry)
        {
            if (!entry.Channels.Remove(channelId))
            {
                return;
            }

            if (entry.Channels.Count > 0)
            {
                Write(entry);
                return;
            }

            _entries.TryRemove(notificationId, out _);
            if (_directory is not null)
            {
                File.Delete(PathOf(notificationId));
            }
        }
    }

    private void Write(OutboxEntry entry)
    {
        if (_directory is null)
        {
            return;
        }

        var path = PathOf(entry.Notification.Id);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, entry, NotificationJsonContext.Default.OutboxEntry);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private string PathOf(string notificationId)
    {
        var name = string.Create(notificationId.Length, notificationId, static (span, id) =>
        {
            for (var i = 0; i < id.Length; i++)
            {
                span[i] = char.IsAsciiLetterOrDigit(id[i]) || id[i] is '-' or '_' ? id[i] : '_';
            }
        });
        return Path.Combine(_directory!, name + ".json");
    }
}
