// platform-alerting: the entry point is built by its issue.
Console.Error.WriteLine("Platform.Alerting: not built yet.");
return 1;
