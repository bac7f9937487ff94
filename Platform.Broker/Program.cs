// platform-broker: the entry point is built by its issue.
Console.Error.WriteLine("Platform.Broker: not built yet.");
return 1;
