// platform-agents: the entry point is built by its issue.
Console.Error.WriteLine("Platform.Agents: not built yet.");
return 1;
