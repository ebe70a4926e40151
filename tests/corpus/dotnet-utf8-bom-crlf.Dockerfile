# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/dotnet/runtime:8.0
COPY bin/Release/net8.0/publish/ /app/
ENTRYPOINT ["dotnet", "/app/Report.dll"]
